"""AR.Drone 2.0 firmware behaviour over our MuJoCo quadrotor: the emulator's brain, without sockets.

Implements ardrone2_protocol.md §8 and §11: the flight state machine (landed → taking off →
hovering/flying → landing → landed, plus emergency), the AT sequence rule, REF (level-triggered
START, edge-triggered SELECT toggle), PCMD/PCMD_MAG (attitude, climb rate and yaw rate as fractions of
the configured maxima; flag bit 0 clear = hover), FTRIM (ground only), CALIB (flight only), CONFIG
with the ACK bit and multiconfig pairing, CTRL modes 4/5, COMWDG, the 50 ms communication watchdog
(hover) and 2 s link loss (land), battery drain, and navdata packets (bootstrap, then demo).

Frames: the drone reports and is commanded in its own body frame, x forward, y right, z down
(FRD): PCMD roll + = right side down, pitch − = nose down, yaw + = clockwise, matching the
reference's sign table; navdata angles and velocities use the same frame. Our simulator is FLU, so
y, z, pitch and yaw change sign at this boundary.

Not thread-safe: the emulator holds one lock around every call.
"""

from __future__ import annotations

import logging
import math
import random
import struct

import numpy as np

from plansight.hardware.ardrone import navdata as nd
from plansight.hardware.ardrone.at import CTRL_ACK_CONTROL_MODE, REF_SELECT, REF_START, ATCommand, int_to_float
from plansight.hardware.ardrone.config_ardrone import EmulatorConfig
from plansight.sim.drone.controller import Setpoint
from plansight.sim.drone.drone_sim import DroneSim, FlightMode

log = logging.getLogger(__name__)

DEFAULT_ID = "00000000"
# State bits a healthy drone always shows (the SDK capture 0x4F800C10 minus bootstrap/demo/watchdog).
_BASE_BITS = (1 << 4) | (1 << 23) | (1 << 24) | (1 << 25) | (1 << 26) | (1 << 27)
_STATE_COM_LOST = 1 << 13
_STATE_USER_FEEDBACK_START = 1 << 5
_VISION_DETECT_TAG = 16
_VISION_DETECT_SIZE = 328
CTRL_GET_CONFIG = 4

DEFAULT_CONFIG = {
    "general:navdata_demo": "FALSE", "general:navdata_options": "65537", "control:altitude_max": "3000",
    "control:euler_angle_max": "0.209440", "control:control_vz_max": "700", "control:control_yaw": "1.745329",
    "control:outdoor": "FALSE", "control:flight_without_shell": "FALSE", "video:video_codec": "129",
    "video:video_channel": "0", "custom:session_id": DEFAULT_ID, "custom:profile_id": DEFAULT_ID,
    "custom:application_id": DEFAULT_ID,
}
NUMERIC_KEYS = frozenset({"general:navdata_options", "control:altitude_max", "control:euler_angle_max",
                          "control:control_vz_max", "control:control_yaw", "video:video_codec", "video:video_channel"})
"""Settings the firmware reads as numbers: a CONFIG giving one of them nan, inf or text is refused (no ack)."""


class Firmware:
    """The drone's side of the protocol, stepping ``sim`` one control period per ``tick``.

    Args:
        cfg: emulator settings (navdata rate, watchdog, battery, noise).
        sim: a reset ``DroneSim``; the firmware owns its flight mode from now on.
    """

    def __init__(self, cfg: EmulatorConfig, sim: DroneSim) -> None:
        self.cfg = cfg
        self.sim = sim
        self.config = dict(DEFAULT_CONFIG)
        self.last_seq = 0
        self.bootstrap = True
        self.ack = False
        self.watchdog = True  # no traffic yet: the capture shows bit 30 at start
        self.com_lost = False
        self.emergency = False
        self.ref_start = False
        self._ref_select = False
        self.pcmd = (0, 0.0, 0.0, 0.0, 0.0)  # flag, roll, pitch, gaz, yaw (fractions, FRD)
        self.battery = cfg.battery_start_pct
        self.nav_sequence = 0
        self.frames_sent = 0
        self.last_at_time: float | None = None
        self.counters: dict[str, int] = {}
        self.config_dump_requested = False
        self._ids_pending: tuple[str, ...] | None = None
        self._rng = random.Random(cfg.faults.seed)

    # ------------------------------------------------------------------ AT side
    def handle(self, cmd: ATCommand, now: float) -> bool:
        """Apply one command received at wall time ``now`` (s). Returns False if it was ignored."""
        if not (cmd.seq > self.last_seq or cmd.seq == 1):
            self._count("stale_seq")
            return False
        self.last_seq = cmd.seq
        self.last_at_time = now
        self.watchdog = False
        self.com_lost = False
        pending, self._ids_pending = self._ids_pending, None
        handler = _HANDLERS.get(cmd.name)
        if handler is None:
            self._count("unknown")
            return False
        ok = handler(self, cmd, pending)
        self._count(f"{cmd.name}{'' if ok else '_ignored'}")
        return ok

    def _ref(self, cmd: ATCommand, _pending: tuple[str, ...] | None) -> bool:
        if len(cmd.args) != 1 or not isinstance(cmd.args[0], int):
            return False
        bits = cmd.args[0]
        select = bool(bits & REF_SELECT)
        if select and not self._ref_select:
            self._toggle_emergency()
        self._ref_select = select
        self.ref_start = bool(bits & REF_START)
        if self.emergency:
            return True
        mode = self.sim.mode
        if self.ref_start and mode is FlightMode.LANDED:
            self.sim.start_takeoff()
            self.pcmd = (0, 0.0, 0.0, 0.0, 0.0)
        elif not self.ref_start and mode in (FlightMode.TAKING_OFF, FlightMode.FLYING):
            self.sim.start_landing()
        return True

    def _toggle_emergency(self) -> None:
        if self.emergency:
            if self.sim.clear_emergency():
                self.emergency = False
                log.info("emergency cleared")
        else:
            self.emergency = True
            self.sim.emergency()
            log.warning("EMERGENCY: motors cut")

    def _pcmd(self, cmd: ATCommand, _pending: tuple[str, ...] | None) -> bool:
        if len(cmd.args) < 5 or not all(isinstance(a, int) for a in cmd.args[:5]):
            return False
        flag = int(cmd.args[0])
        vals = [int_to_float(int(a)) for a in cmd.args[1:5]]
        if not all(math.isfinite(v) for v in vals):
            return False
        roll, pitch, gaz, yaw = (max(-1.0, min(1.0, v)) for v in vals)
        self.pcmd = (flag, roll, pitch, gaz, yaw)
        return True

    def _ftrim(self, _cmd: ATCommand, _pending: tuple[str, ...] | None) -> bool:
        return self.sim.mode is FlightMode.LANDED  # flat trim only on the ground

    def _calib(self, _cmd: ATCommand, _pending: tuple[str, ...] | None) -> bool:
        return self.sim.mode is FlightMode.FLYING  # magnetometer calibration only in flight

    def _comwdg(self, _cmd: ATCommand, _pending: tuple[str, ...] | None) -> bool:
        return True

    def _config_ids(self, cmd: ATCommand, _pending: tuple[str, ...] | None) -> bool:
        if len(cmd.args) != 3 or not all(isinstance(a, str) for a in cmd.args):
            return False
        self._ids_pending = tuple(str(a) for a in cmd.args)
        return True

    def _config(self, cmd: ATCommand, pending: tuple[str, ...] | None) -> bool:
        if len(cmd.args) != 2 or not all(isinstance(a, str) for a in cmd.args):
            return False
        key, value = str(cmd.args[0]), str(cmd.args[1])
        session = self.config["custom:session_id"]
        if session != DEFAULT_ID and (pending is None or pending[0] != session):
            return False  # multiconfig: CONFIG must follow CONFIG_IDS with our session id
        if ":" not in key:
            return False
        if key in NUMERIC_KEYS and not _finite_number(value):
            return False  # a numeric setting must be a finite number: nan/inf would reach the physics
        self.config[key] = value
        self.ack = True
        if key == "general:navdata_demo" and value.upper() == "TRUE":
            self.bootstrap = False
        return True

    def _ctrl(self, cmd: ATCommand, _pending: tuple[str, ...] | None) -> bool:
        if not cmd.args or not isinstance(cmd.args[0], int):
            return False
        mode = cmd.args[0]
        if mode == CTRL_ACK_CONTROL_MODE:
            self.ack = False
        elif mode == CTRL_GET_CONFIG:
            self.config_dump_requested = True
        return True

    # ------------------------------------------------------------------ time
    def tick(self, now: float) -> None:
        """One control period of the drone at wall time ``now`` (s): watchdogs, battery, physics."""
        silent = math.inf if self.last_at_time is None else now - self.last_at_time
        if silent > self.cfg.watchdog_s and not self.watchdog:
            self.watchdog = True
            self.nav_sequence = 0  # the drone restarts navdata numbering after a watchdog
            self._count("watchdog")
        airborne = self.sim.mode in (FlightMode.TAKING_OFF, FlightMode.FLYING)
        if silent > self.cfg.link_lost_s and airborne:
            self.com_lost = True
            self.sim.start_landing()
            log.warning("no AT traffic for %.1f s: landing", silent)
        if self.sim.airborne:
            self.battery = max(0.0, self.battery - self.cfg.battery_drain_pct_per_min * self.sim.dt / 60.0)
            if self.battery <= 0.0:
                self.sim.start_landing()
        self.sim.step(self._setpoint())

    def _setpoint(self) -> Setpoint:
        flag, roll, pitch, gaz, yaw = self.pcmd
        if self.watchdog or not flag & 1:
            return Setpoint()  # hover: hold position on the (emulated) bottom-camera odometry
        euler = float(self.config_float("control:euler_angle_max", 0.2094))
        vz_max = self.config_float("control:control_vz_max", 700.0) / 1000.0
        yaw_max = self.config_float("control:control_yaw", 1.7453)
        vz = gaz * vz_max
        if self.sim.state().position[2] >= self.config_float("control:altitude_max", 3000.0) / 1000.0:
            vz = min(vz, 0.0)
        return Setpoint(vz=vz, yaw_rate=-yaw * yaw_max, roll=roll * euler, pitch=-pitch * euler)

    def config_float(self, key: str, default: float) -> float:
        try:
            value = float(self.config.get(key, default))
        except ValueError:
            return default
        return value if math.isfinite(value) else default

    # ------------------------------------------------------------------ navdata
    @property
    def ctrl_state(self) -> int:
        mode = self.sim.mode
        if mode is FlightMode.TAKING_OFF:
            return nd.CTRL_TRANS_TAKEOFF
        if mode is FlightMode.LANDING:
            return nd.CTRL_TRANS_LANDING
        if mode is FlightMode.FLYING:
            flag, *args = self.pcmd
            return nd.CTRL_FLYING if flag & 1 and any(args) and not self.watchdog else nd.CTRL_HOVERING
        return nd.CTRL_LANDED

    @property
    def state_bits(self) -> int:
        s = _BASE_BITS | nd.STATE_NAVDATA_DEMO
        s |= nd.STATE_NAVDATA_BOOTSTRAP if self.bootstrap else 0
        s |= nd.STATE_FLY if self.sim.airborne else 0
        s |= nd.STATE_COMMAND_ACK if self.ack else 0
        s |= _STATE_USER_FEEDBACK_START if self.ref_start else 0
        s |= nd.STATE_VBAT_LOW if self.battery < self.cfg.battery_low_pct else 0
        s |= _STATE_COM_LOST if self.com_lost else 0
        s |= nd.STATE_COM_WATCHDOG if self.watchdog else 0
        s |= nd.STATE_EMERGENCY if self.emergency else 0
        return s

    def navdata(self) -> bytes:
        """The next navdata packet: 24 bytes in bootstrap, else the 500-byte demo packet."""
        self.nav_sequence += 1
        if self.bootstrap:
            return nd.encode(self.state_bits, self.nav_sequence)
        st = self.sim.state()
        roll, pitch, yaw = (float(a) for a in st.rpy)
        c, s = math.cos(yaw), math.sin(yaw)
        vw = np.asarray(st.velocity, float)
        v_body = (c * vw[0] + s * vw[1], -s * vw[0] + c * vw[1], vw[2])  # heading frame, FLU
        noise = self.cfg.velocity_noise_mps
        vx, vy, vz = (v + self._rng.gauss(0.0, noise) if noise else v for v in v_body)
        demo = nd.Demo(ctrl_state=self.ctrl_state, fly_state=0, battery_pct=int(self.battery),
                       pitch=-pitch, roll=roll, yaw=-yaw, altitude_m=float(st.position[2]),
                       vx=vx, vy=-vy, vz=-vz, num_frames=self.frames_sent)
        vision = struct.pack("<I", 0) + b"\0" * (_VISION_DETECT_SIZE - 8)
        return nd.encode(self.state_bits, self.nav_sequence, demo, extra_options={_VISION_DETECT_TAG: vision})

    def config_dump(self) -> bytes:
        """The configuration as ``section:key = value`` lines (TCP 5559 after ``AT*CTRL=seq,4,0``)."""
        return "".join(f"{k} = {v}\n" for k, v in sorted(self.config.items())).encode("ascii", "replace")

    def _count(self, what: str) -> None:
        self.counters[what] = self.counters.get(what, 0) + 1


_HANDLERS = {"REF": Firmware._ref, "PCMD": Firmware._pcmd, "PCMD_MAG": Firmware._pcmd, "FTRIM": Firmware._ftrim,
             "CALIB": Firmware._calib, "COMWDG": Firmware._comwdg, "CONFIG_IDS": Firmware._config_ids,
             "CONFIG": Firmware._config, "CTRL": Firmware._ctrl}


def _finite_number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False
