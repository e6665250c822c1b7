"""Typed configuration of the AR.Drone 2.0 bridge (``type: ardrone`` in mission files) and its emulator.

Import-light on purpose (pydantic and the simulator's config only): the mission schema imports it
without opening sockets or loading MuJoCo.

A mission that flies the MuJoCo drone flies the AR.Drone by changing ``embodiment.type`` from
``mujoco_drone`` to ``ardrone``: every field here has a default. With ``host: null`` (the default)
``plansight deploy`` starts a loopback emulator on 127.0.0.1 over our simulator; with a host
(``192.168.1.1`` on the drone's own Wi-Fi) it talks to a real drone.
"""

from __future__ import annotations

import math
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from plansight.sim.drone.config_drone import DroneSimConfig


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PortsConfig(_Strict):
    """The drone's ports (ardrone2_protocol.md §1). 0 lets the emulator pick free ports."""

    at: int = Field(5556, ge=0, le=65535, description="UDP, AT commands, client → drone")
    navdata: int = Field(5554, ge=0, le=65535, description="UDP, navdata, drone → client")
    video: int = Field(5555, ge=0, le=65535, description="TCP, PaVE-framed H.264")
    control: int = Field(5559, ge=0, le=65535, description="TCP, configuration dump")


class FirmwareLimits(_Strict):
    """Limits written to the drone with AT*CONFIG at connection; PCMD fractions are relative to them."""

    euler_angle_max_rad: float = Field(0.21, gt=0.0, le=0.52, description="max tilt for PCMD roll/pitch (12°)")
    control_vz_max_mps: float = Field(0.7, gt=0.0, le=2.0, description="max climb rate for PCMD gaz")
    control_yaw_rad_s: float = Field(1.75, gt=0.0, le=6.11, description="max yaw rate for PCMD yaw")
    altitude_max_m: float = Field(3.0, gt=0.0, le=100.0)
    outdoor: bool = False
    flight_without_shell: bool = False

    def as_config_keys(self) -> dict[str, str]:
        """The AT*CONFIG key/value strings, in the units the firmware expects (mm, mm/s, rad)."""
        return {"control:euler_angle_max": f"{self.euler_angle_max_rad:f}",
                "control:control_vz_max": str(round(self.control_vz_max_mps * 1000)),
                "control:control_yaw": f"{self.control_yaw_rad_s:f}",
                "control:altitude_max": str(round(self.altitude_max_m * 1000)),
                "control:outdoor": "TRUE" if self.outdoor else "FALSE",
                "control:flight_without_shell": "TRUE" if self.flight_without_shell else "FALSE"}


class VelocityLoopConfig(_Strict):
    """Body velocity → tilt, closed on the navdata velocity estimate (PCMD commands tilt, not speed).

    tilt = feedforward·v_cmd + kp·(v_cmd − v) + ki·∫(v_cmd − v), in radians per m/s.
    """

    feedforward_rad_per_mps: float = Field(0.05, ge=0.0, le=1.0, description="tilt that balances drag")
    kp_rad_per_mps: float = Field(0.12, ge=0.0, le=1.0)
    ki_rad_per_m: float = Field(0.05, ge=0.0, le=1.0)
    integral_limit_rad: float = Field(0.08, ge=0.0, le=0.5)


class BridgeSafetyConfig(_Strict):
    """What the bridge does on its own, independent of the agent loop."""

    hover_after_s: float = Field(0.10, gt=0.0, le=2.0, description="navdata silent this long → hover")
    land_after_s: float = Field(1.5, gt=0.0, le=30.0, description="navdata silent this long → land")
    stale_command_s: float = Field(0.25, gt=0.0, le=5.0, description="agent silent this long → hover")
    low_battery_pct: int = Field(20, ge=0, le=100, description="land below this battery percentage")


class LinkConfig(_Strict):
    """Client-side timing of the protocol."""

    at_hz: float = Field(30.0, ge=10.0, le=100.0, description="REF + PCMD send rate")
    connect_timeout_s: float = Field(5.0, gt=0.0, le=60.0, description="first navdata and config handshake")
    config_ack_timeout_s: float = Field(0.5, gt=0.0, le=5.0, description="wait for the ACK bit, per CONFIG")
    config_retries: int = Field(5, ge=1, le=20)
    retrigger_s: float = Field(0.1, gt=0.0, le=2.0, description="re-send the navdata trigger after this silence")
    session_ids: tuple[str, str, str] | None = Field(
        None, description="multiconfig session, profile, application ids (8 hex chars); CONFIG_IDS precedes CONFIG")
    video: bool = True
    realtime_priority: int | None = Field(
        10, ge=1, le=99, description="SCHED_FIFO priority of the AT thread when permitted (root or CAP_SYS_NICE); "
        "otherwise it runs at normal priority and says so in the log")
    gil_switch_interval_s: float | None = Field(
        0.0005, gt=0.0, le=0.1, description="sys.setswitchinterval while connected (process-wide): a busy Python "
        "thread then holds the GIL at most this long before the AT thread runs; null leaves Python's 5 ms")

    @field_validator("session_ids")
    @classmethod
    def _hex_ids(cls, v: tuple[str, str, str] | None) -> tuple[str, str, str] | None:
        if v is not None and not all(re.fullmatch(r"[0-9a-fA-F]{8}", x) for x in v):
            raise ValueError("session ids must be 8 hex characters each")
        return v


class FaultConfig(_Strict):
    """Emulator fault injection (tests and demos). Loss and latency apply to UDP in both directions."""

    packet_loss: float = Field(0.0, ge=0.0, le=1.0, description="probability a datagram is dropped")
    latency_s: float = Field(0.0, ge=0.0, le=1.0, description="added one-way delay")
    navdata_corruption: float = Field(
        0.0, ge=0.0, le=1.0, description="probability a navdata packet has random bits of its demo option flipped "
        "and its checksum recomputed: the multi-bit errors the byte-sum checksum misses")
    seed: int = 0


class EmulatorConfig(_Strict):
    """The loopback AR.Drone: firmware behaviour on our MuJoCo quadrotor."""

    sim: DroneSimConfig = DroneSimConfig(render=False, ground_truth_depth=False)
    navdata_hz: float = Field(15.0, gt=0.0, le=200.0, description="demo-mode navdata rate")
    video: bool = True
    video_width: int = Field(256, ge=64, le=1280, multiple_of=16)
    video_height: int = Field(144, ge=48, le=720, multiple_of=2)
    video_fps: float = Field(15.0, gt=0.0, le=30.0)
    video_gop: int = Field(15, ge=1, le=300, description="frames between IDR frames")
    pave_header_size: Literal[64, 68] = Field(64, description="68 mimics firmwares that pad the header")
    watchdog_s: float = Field(0.05, gt=0.0, description="no AT traffic this long → COM_WATCHDOG, hover")
    link_lost_s: float = Field(2.0, gt=0.0, description="no AT traffic this long → land")
    battery_start_pct: float = Field(100.0, ge=0.0, le=100.0)
    battery_drain_pct_per_min: float = Field(8.0, ge=0.0, description="while the motors run (≈ 12 min flights)")
    battery_low_pct: float = Field(20.0, ge=0.0, le=100.0, description="VBAT_LOW state bit below this")
    velocity_noise_mps: float = Field(0.02, ge=0.0, description="std of the navdata velocity estimate")
    faults: FaultConfig = FaultConfig()


class FrontCameraConfig(_Strict):
    """The front camera as the agent sees it: decoded frames are centre-cropped to this aspect ratio
    and resized. ``fovy_deg`` is the vertical field of view after the crop."""

    width: int = Field(128, ge=16, le=1280)
    height: int = Field(96, ge=12, le=720)
    fovy_deg: float = Field(60.0, gt=10.0, lt=150.0)
    forward_offset_m: float = Field(0.12, ge=0.0, le=0.5)


class ArdroneConfig(_Strict):
    """An AR.Drone 2.0 over Wi-Fi, or the loopback emulator when ``host`` is null.

    ``room:`` at this level is shorthand for ``emulator.sim.room`` (the emulated room), so a mission's embodiment
    block can read the same for ``mujoco_drone`` and ``ardrone``; a real drone (``host`` set) has no room to set.
    """

    type: Literal["ardrone"] = "ardrone"
    host: str | None = Field(None, description="drone address (192.168.1.1); null = start the loopback emulator")
    ports: PortsConfig = PortsConfig()
    control_hz: int = Field(30, ge=10, le=50, description="agent loop rate; the AT loop runs at link.at_hz")
    takeoff_timeout_s: float = Field(10.0, gt=0.0, le=60.0)
    land_timeout_s: float = Field(15.0, gt=0.0, le=60.0)
    start_xy_m: tuple[float, float] | None = Field(
        None, description="where the drone starts in the mission frame (real drone); the emulator knows its own")
    start_yaw_rad: float = 0.0
    camera: FrontCameraConfig = FrontCameraConfig()
    limits: FirmwareLimits = FirmwareLimits()
    velocity: VelocityLoopConfig = VelocityLoopConfig()
    safety: BridgeSafetyConfig = BridgeSafetyConfig()
    link: LinkConfig = LinkConfig()
    emulator: EmulatorConfig = EmulatorConfig()

    @property
    def camera_names(self) -> tuple[str, ...]:
        """The cameras the embodiment will have (one front camera: the AR.Drone flies on mono depth)."""
        return ("front",)

    @model_validator(mode="before")
    @classmethod
    def _room_shorthand(cls, data: object) -> object:
        if not isinstance(data, dict) or "room" not in data:
            return data
        data = dict(data)
        room = data.pop("room")
        if data.get("host") is not None:
            raise ValueError("room: only the emulator's room can be set; a real drone (host) flies in a real one")
        emulator = dict(data.get("emulator") or {})
        sim = emulator.get("sim")
        sim = dict(sim) if isinstance(sim, dict) else {"render": False, "ground_truth_depth": False}
        if "room" in sim:
            raise ValueError("give the room once: room or emulator.sim.room, not both")
        emulator["sim"] = {**sim, "room": room}
        data["emulator"] = emulator
        return data

    @property
    def landmark_names(self) -> tuple[str, ...] | None:
        """The visual goals of the emulator's room; None for a real drone (its room is not known here)."""
        return self.emulator.sim.room.landmarks if self.host is None else None

    @field_validator("start_yaw_rad")
    @classmethod
    def _finite_yaw(cls, v: float) -> float:
        if not math.isfinite(v):
            raise ValueError("must be finite")
        return v
