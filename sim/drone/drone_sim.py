"""``DroneSim``: the MuJoCo quadrotor in a seeded room, as a ``Flyer`` embodiment.

Timing: physics at ``physics_hz`` (default 400 Hz, the cascaded controller runs every physics
step); commands arrive at ``control_hz`` (default 50 Hz) and ``act`` advances one control period.
Collisions are checked every physics step.
"""

from __future__ import annotations

import enum
import logging
import math
from collections.abc import Mapping

import mujoco
import numpy as np

from plansight.agent.contracts import CameraModel, DroneCommand, DroneState, Event, Observation
from plansight.sim.drone.config_drone import DroneSimConfig
from plansight.sim.drone.controller import CascadedController, Setpoint
from plansight.sim.drone.model import DRONE_BODY, FLOOR_GEOM, LEFT_CAMERA, RIGHT_CAMERA, build_model
from plansight.sim.drone.render import CameraRenderer
from plansight.sim.drone.room import RoomLayout, generate_room

log = logging.getLogger(__name__)

_COLLISION_DEBOUNCE_S = 0.3  # contacts with the same geom closer than this are one collision


class FlightMode(enum.Enum):
    LANDED = "landed"
    TAKING_OFF = "taking_off"
    FLYING = "flying"
    LANDING = "landing"
    EMERGENCY = "emergency"


class DroneSim:
    """Simulated AR.Drone-class quadrotor with a forward stereo pair (``left``/``right``).

    Args:
        cfg: simulator configuration.
    """

    def __init__(self, cfg: DroneSimConfig | None = None) -> None:
        self.cfg = cfg or DroneSimConfig()
        self._substeps = self.cfg.physics_hz // self.cfg.control_hz
        self._layout: RoomLayout | None = None
        self.model: mujoco.MjModel | None = None
        self.data: mujoco.MjData | None = None
        self._renderer: CameraRenderer | None = None
        self._events: list[Event] = []
        self.mode = FlightMode.LANDED
        self.collisions = 0
        self._last_contact: dict[int, float] = {}
        self._cameras = self._camera_models()

    # ------------------------------------------------------------------ Embodiment
    @property
    def cameras(self) -> Mapping[str, CameraModel]:
        return self._cameras

    @property
    def dt(self) -> float:
        return 1.0 / self.cfg.control_hz

    @property
    def layout(self) -> RoomLayout:
        if self._layout is None:
            raise RuntimeError("call reset() first")
        return self._layout

    def reset(self, seed: int | None = None) -> Observation:
        """Place the drone, landed, at the room's start. The layout comes from ``room.layout_seed``
        if set, otherwise from ``seed`` (0 when ``None``)."""
        layout_seed = self.cfg.room.layout_seed if self.cfg.room.layout_seed is not None else (seed or 0)
        if self._layout is None or self._layout.seed != layout_seed:
            self._build(generate_room(self.cfg.room, layout_seed))
        assert self.model is not None and self.data is not None
        mujoco.mj_resetData(self.model, self.data)
        mujoco.mj_forward(self.model, self.data)
        self.mode = FlightMode.LANDED
        self.collisions = 0
        self._last_contact = {}
        self._controller.reset(float(self.data.qpos[2]))
        self._events = [Event(0.0, "reset", {"seed": seed, "layout_seed": layout_seed})]
        return self._observation(info={"room": self.layout.to_dict()})

    def observe(self) -> Observation:
        return self._observation()

    def act(self, command: DroneCommand) -> DroneCommand:
        """Track ``command`` for one control period. Only in flight; otherwise the command is ignored
        and hover is returned. A non-finite command is replaced by hover (and logged)."""
        applied = command
        if not command.is_finite():
            self._emit("nonfinite_command", {"command": [repr(x) for x in command.as_array()]})
            applied = DroneCommand.hover()
        if self.mode is not FlightMode.FLYING:
            applied = DroneCommand.hover()
        self.step(Setpoint(applied.vx, applied.vy, applied.vz, applied.yaw_rate))
        return applied

    def takeoff(self, timeout_s: float = 15.0) -> bool:
        """Climb to ``hover_altitude_m`` and hold (blocking). Returns False on timeout or a crash."""
        return self.start_takeoff() and self._step_while(FlightMode.TAKING_OFF, FlightMode.FLYING, timeout_s)

    def land(self, timeout_s: float = 20.0) -> bool:
        """Descend at ``landing_speed_mps`` and cut the motors on touchdown (blocking)."""
        return self.start_landing() and self._step_while(FlightMode.LANDING, FlightMode.LANDED, timeout_s)

    def _step_while(self, transient: FlightMode, goal: FlightMode, timeout_s: float) -> bool:
        """Step (simulated time) while in ``transient``, for at most ``timeout_s``; whether ``goal`` was reached."""
        deadline = self.data.time + timeout_s
        while self.data.time < deadline and self.mode is transient:
            self.step()
        return self.mode is goal

    # ------------------------------------------------------------------ non-blocking flight
    def start_takeoff(self) -> bool:
        """Begin a take-off that ``step`` carries out; False unless landed (or already up)."""
        if self.mode in (FlightMode.TAKING_OFF, FlightMode.FLYING):
            return True
        if self.mode is not FlightMode.LANDED:
            return False
        self._controller.reset(float(self.data.qpos[2]))
        self.mode = FlightMode.TAKING_OFF
        self._emit("takeoff_started", {})
        return True

    def start_landing(self) -> bool:
        """Begin a landing that ``step`` carries out; True if landing or landed."""
        if self.mode in (FlightMode.LANDED, FlightMode.EMERGENCY):
            return self.mode is FlightMode.LANDED
        if self.mode is not FlightMode.LANDING:
            self.mode = FlightMode.LANDING
            self._emit("landing_started", {})
        return True

    def step(self, setpoint: Setpoint | None = None) -> None:
        """Advance one control period of the flight state machine.

        Taking off: climb at ``takeoff_speed_mps``, then approach ``hover_altitude_m`` without
        overshoot and switch to flying. Landing: descend at ``landing_speed_mps`` until touchdown.
        Flying: track ``setpoint`` (hover when ``None``). Landed or emergency: motors off.
        """
        if self.mode is FlightMode.TAKING_OFF:
            target = self.cfg.hover_altitude_m
            climb = min(self.cfg.takeoff_speed_mps, max(target - self._controller.z_ref, 0.0) * 2.0)
            self._controller.set_setpoint(Setpoint(vz=climb))
        elif self.mode is FlightMode.LANDING:
            self._controller.set_setpoint(Setpoint(vz=-self.cfg.landing_speed_mps))
        elif self.mode is FlightMode.FLYING:
            self._controller.set_setpoint(setpoint or Setpoint())
        self._advance(self._substeps)
        if (self.mode is FlightMode.TAKING_OFF and abs(self.data.qpos[2] - self.cfg.hover_altitude_m) < 0.03
                and abs(self.data.qvel[2]) < 0.05):
            self._controller.set_setpoint(Setpoint())
            self._controller.z_ref = self.cfg.hover_altitude_m
            self.mode = FlightMode.FLYING
            self._emit("takeoff", {"altitude_m": float(self.data.qpos[2])})

    def emergency(self) -> None:
        self.mode = FlightMode.EMERGENCY
        self.data.ctrl[:] = 0.0
        self._emit("emergency", {})

    def clear_emergency(self) -> bool:
        """Leave emergency once the vehicle rests (below 0.2 m, slower than 0.1 m/s): it is landed."""
        if self.mode is not FlightMode.EMERGENCY:
            return self.mode is FlightMode.LANDED
        if self.data.qpos[2] < 0.2 and float(np.linalg.norm(self.data.qvel[0:3])) < 0.1:
            self.mode = FlightMode.LANDED
            self._emit("emergency_cleared", {})
            return True
        return False

    def close(self) -> None:
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None

    def set_pose(self, position: np.ndarray, quat_wxyz: np.ndarray) -> None:
        """Teleport: world position (m) and body-to-world quaternion (w, x, y, z); velocities are zeroed and
        the altitude hold re-targets the new height (a landed vehicle stays landed, and falls)."""
        self.data.qpos[0:3] = position
        self.data.qpos[3:7] = np.asarray(quat_wxyz, dtype=np.float64) / np.linalg.norm(quat_wxyz)
        self.data.qvel[:] = 0.0
        mujoco.mj_forward(self.model, self.data)
        self._controller.reset(float(self.data.qpos[2]))

    # ------------------------------------------------------------------ state
    def state(self) -> DroneState:
        """Current state (world position/velocity, Z-Y-X Euler angles, body rates)."""
        d = self.data
        return DroneState(d.qpos[0:3].copy(), d.qvel[0:3].copy(), np.array(_quat_to_rpy(d.qpos[3:7])),
                          d.qvel[3:6].copy(), 1.0 if self.airborne else 0.0)

    @property
    def airborne(self) -> bool:
        return self.mode in (FlightMode.TAKING_OFF, FlightMode.FLYING, FlightMode.LANDING)

    # ------------------------------------------------------------------ internals
    def _camera_models(self) -> dict[str, CameraModel]:
        c = self.cfg.camera
        models = {}
        for name, y in ((LEFT_CAMERA, c.baseline_m / 2), (RIGHT_CAMERA, -c.baseline_m / 2)):
            T = CameraModel.forward_pose(c.forward_offset_m, y, 0.02)
            extra = {"baseline_m": c.baseline_m, "stereo_partner": RIGHT_CAMERA} if name == LEFT_CAMERA else {}
            models[name] = CameraModel.from_fovy(name, c.width, c.height, c.fovy_deg, T_body_cam=T, **extra)
        return models

    def _build(self, layout: RoomLayout) -> None:
        self.close()
        self._layout = layout
        self.model = build_model(self.cfg, layout)
        self.data = mujoco.MjData(self.model)
        m = self.model
        body = mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_BODY, DRONE_BODY)
        self._drone_geoms = {g for g in range(m.ngeom) if m.geom_bodyid[g] == body}
        self._floor = mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_GEOM, FLOOR_GEOM)
        self._controller = CascadedController(self.cfg.quad, self.cfg.controller, 1.0 / self.cfg.physics_hz)
        if self.cfg.render:
            self._renderer = CameraRenderer(m, self.cfg.camera.width, self.cfg.camera.height,
                                            depth=self.cfg.ground_truth_depth)
        log.debug("built room seed=%d with %d obstacles", layout.seed, len(layout.obstacles))

    def _advance(self, n: int) -> None:
        m, d, ctrl = self.model, self.data, self._controller
        for _ in range(n):
            if self.mode in (FlightMode.LANDED, FlightMode.EMERGENCY):
                d.ctrl[:] = 0.0
            else:
                f = ctrl.thrusts(d.qpos[0:3], d.qvel[0:3], _quat_to_rpy(d.qpos[3:7]), d.qvel[3:6])
                d.ctrl[:] = f
            mujoco.mj_step(m, d)
            if d.ncon:
                self._check_contacts()

    def _check_contacts(self) -> None:
        d = self.data
        touching: set[int] = set()
        for geom_pair in d.contact.geom[: d.ncon]:
            a, b = int(geom_pair[0]), int(geom_pair[1])
            if (a in self._drone_geoms) == (b in self._drone_geoms):
                continue
            touching.add(b if a in self._drone_geoms else a)
        now = float(d.time)
        new = {g for g in touching if now - self._last_contact.get(g, -math.inf) > _COLLISION_DEBOUNCE_S}
        for g in touching:
            self._last_contact[g] = now
        for other in new:
            speed = float(np.linalg.norm(d.qvel[0:3]))
            if other == self._floor:
                self._on_floor_contact(speed)
            else:
                self.collisions += 1
                name = mujoco.mj_id2name(self.model, mujoco.mjtObj.mjOBJ_GEOM, other) or str(other)
                self._emit("collision", {"with": name, "speed_mps": speed, "count": self.collisions})
        if self.mode is FlightMode.LANDING and self._floor in touching:
            self._on_floor_contact(float(np.linalg.norm(d.qvel[0:3])))

    def _on_floor_contact(self, speed: float) -> None:
        if self.mode is FlightMode.LANDING:
            self.mode = FlightMode.LANDED
            self.data.ctrl[:] = 0.0
            self._emit("landed", {"speed_mps": speed})
        elif self.mode is FlightMode.FLYING and speed > self.cfg.crash_speed_mps:
            self.collisions += 1
            self._emit("collision", {"with": FLOOR_GEOM, "speed_mps": speed, "count": self.collisions})

    def _emit(self, kind: str, data: dict) -> None:
        t = float(self.data.time) if self.data is not None else 0.0
        self._events.append(Event(t, kind, data))
        log.debug("t=%.2f %s %s", t, kind, data)

    def _observation(self, info: dict | None = None) -> Observation:
        images: dict[str, np.ndarray] = {}
        depth: dict[str, np.ndarray] = {}
        if self._renderer is not None:
            for cam in (LEFT_CAMERA, RIGHT_CAMERA):
                images[cam] = self._renderer.rgb(self.data, cam)
            if self.cfg.ground_truth_depth:
                depth[LEFT_CAMERA] = self._renderer.depth(self.data, LEFT_CAMERA)
        events, self._events = tuple(self._events), []
        info = dict(info or {})
        info.update(mode=self.mode.value, collisions=self.collisions)
        return Observation(t=float(self.data.time), images=images, state=self.state().to_vector(),
                           depth=depth, events=events, info=info)


def _quat_to_rpy(q: np.ndarray) -> tuple[float, float, float]:
    """MuJoCo (w, x, y, z) quaternion → roll, pitch, yaw (Z-Y-X), radians."""
    w, x, y, z = float(q[0]), float(q[1]), float(q[2]), float(q[3])
    roll = math.atan2(2.0 * (w * x + y * z), 1.0 - 2.0 * (x * x + y * y))
    s = max(-1.0, min(1.0, 2.0 * (w * y - z * x)))
    pitch = math.asin(s)
    yaw = math.atan2(2.0 * (w * z + x * y), 1.0 - 2.0 * (y * y + z * z))
    return roll, pitch, yaw
