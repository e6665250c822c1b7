"""``SimVehicle``: AirSim multirotor semantics over our MuJoCo quadrotor (``sim.drone.DroneSim``).

Everything here speaks AirSim's frames (NED world relative to the start position, FRD body, degrees
in ``YawMode``) and AirSim's struct maps; ``sim/airsim/server.py`` only parses RPC arguments.

**Simulated time is lock-stepped.** Physics advances only while a manoeuvre runs (``takeoff``, ``land``,
``moveBy*`` for their ``duration``, ``moveTo*``/``rotateToYaw`` until they arrive), as fast as the CPU
allows, or at ``clock_speed`` × real time when one is set (AirSim's ``ClockSpeed``). Between
manoeuvres the world is frozen, so an observation and the command that follows it see the same
instant, and a mission through the server is deterministic. A new manoeuvre pre-empts the running
one (whose future then resolves to ``False``), as AirSim's cancel token does. One re-entrant lock
guards the simulator; manoeuvres take it one control period at a time, so state and image calls are
served between periods. Rendering runs on one dedicated thread that owns the GL contexts.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import cv2
import mujoco
import numpy as np

from plansight.agent.contracts import DroneCommand
from plansight.sim.airsim import convert as cv
from plansight.sim.drone.config_drone import DroneSimConfig
from plansight.sim.drone.drone_sim import DroneSim, FlightMode
from plansight.sim.drone.model import LEFT_CAMERA, RIGHT_CAMERA
from plansight.sim.drone.render import CameraRenderer

log = logging.getLogger(__name__)

VEHICLE_NAME = "SimpleFlight"
HOME = (47.641468, -122.140165, 122.0)  # AirSim's default home GeoPoint (lat, lon deg; alt m)
EARTH_RADIUS_M = 6378137.0
SCENE, DEPTH_PLANAR, DEPTH_PERSPECTIVE, DEPTH_VIS = 0, 1, 2, 3
DEPTH_VIS_MAX_M = 100.0  # AirSim's DepthVis: white = 100 m
MAX_IMAGE_REQUESTS = 32  # per simGetImages call (AirSim vehicles carry at most a few cameras × 4 types)
MAX_RESPONSE_BYTES = 64 * 2**20  # estimated size of one simGetImages answer
# AirSim multirotor camera names (and legacy ids) → our stereo rig. There is no centre camera: the
# centre and bottom/back names are not served; "front_center"/"0"/"" alias the left (reference) camera.
CAMERA_ALIASES = {"front_left": LEFT_CAMERA, "2": LEFT_CAMERA, "front_right": RIGHT_CAMERA, "1": RIGHT_CAMERA,
                  "front_center": LEFT_CAMERA, "0": LEFT_CAMERA, "": LEFT_CAMERA,
                  LEFT_CAMERA: LEFT_CAMERA, RIGHT_CAMERA: RIGHT_CAMERA}
_YAW_GAIN = 2.0  # 1/s, heading hold
_MAX_YAW_RATE = math.radians(100.0)
_Z_GAIN = 1.5  # 1/s, altitude hold of moveByVelocityZ / moveToZ
_POS_GAIN = 1.0  # 1/s, moveToPosition approach
_ARRIVED_M = 0.1



MAX_POSE_M = 1.0e4
"""Farthest teleport accepted, metres from the world origin (a room is a few metres; 1e300 froze the physics)."""

class VehicleError(RuntimeError):
    """An AirSim-level refusal (no API control, not armed, unknown camera...); becomes an RPC error."""


class SimVehicle:
    """One AirSim multirotor (``SimpleFlight``) backed by ``DroneSim``.

    Args:
        cfg: the simulator; its ``render`` flag is ignored (the vehicle renders on demand).
        seed: room seed used by every ``reset``.
        clock_speed: simulated seconds per wall second while a manoeuvre runs; ``None`` = as fast as possible.
    """

    def __init__(self, cfg: DroneSimConfig | None = None, seed: int = 0, clock_speed: float | None = None) -> None:
        cfg = cfg or DroneSimConfig()
        self.cfg = cfg
        self.seed = seed
        self.clock_speed = clock_speed
        self.sim = DroneSim(cfg.model_copy(update={"render": False}))
        self.lock = threading.RLock()
        self._gl = ThreadPoolExecutor(max_workers=1, thread_name_prefix="airsim-gl")
        self._renderer: CameraRenderer | None = None
        self._renderer_model: Any = None
        self._task = 0
        self._paused = threading.Event()
        self.api_control = False
        self.armed = False
        self.reset()

    # ------------------------------------------------------------------ lifecycle
    def reset(self) -> None:
        """Back to the start pose, landed; API control and arming are cleared (as in AirSim)."""
        with self.lock:
            self._task += 1
            self.sim.reset(self.seed)
            self._origin = self.sim.data.qpos[0:3].copy()
            self.api_control = self.armed = False
            self._collision = _no_collision()
            self._drain()

    def close(self) -> None:
        with self.lock:
            self._task += 1
            if self._renderer is not None:
                r, self._renderer = self._renderer, None
                self._gl.submit(r.close).result()
            self._gl.shutdown(wait=True)
            self.sim.close()

    @property
    def dt(self) -> float:
        return self.sim.dt

    @property
    def time_ns(self) -> int:
        return int(round(float(self.sim.data.time) * 1e9))

    def check_vehicle(self, name: str) -> None:
        if name not in ("", VEHICLE_NAME):
            raise VehicleError(f"Vehicle API for '{name}' is not available. This could either because this is "
                               "simulation-only API or this vehicle does not exist")

    # ------------------------------------------------------------------ control state
    def enable_api_control(self, enabled: bool) -> None:
        with self.lock:
            self.api_control = bool(enabled)
            if not enabled:
                self._task += 1  # a running manoeuvre stops, as in AirSim

    def arm_disarm(self, arm: bool) -> bool:
        with self.lock:
            self._require_api_control("armDisarm")
            if not arm and self.sim.airborne:
                log.warning("refusing to disarm in flight; land first")
                return False
            self.armed = bool(arm)
            return True

    def cancel(self) -> None:
        """Pre-empt the running manoeuvre (``cancelLastTask``); the vehicle holds its last setpoint."""
        with self.lock:
            self._task += 1

    def pause(self, paused: bool) -> None:
        (self._paused.set if paused else self._paused.clear)()

    @property
    def paused(self) -> bool:
        return self._paused.is_set()

    # ------------------------------------------------------------------ manoeuvres
    def begin(self, what: str, need_flying: bool = True) -> int:
        """Validate and claim the right to move: returns the task token; pre-empts the running task."""
        with self.lock:
            self._require_api_control(what)
            if not self.armed:
                raise VehicleError(f"{what}: the vehicle is not armed; call armDisarm(True) first")
            if need_flying and self.sim.mode is not FlightMode.FLYING:
                raise VehicleError(f"{what}: the vehicle is not flying (state {self.sim.mode.value}); take off first")
            self._task += 1
            return self._task

    def takeoff(self, token: int, timeout_s: float) -> bool:
        with self.lock:
            if token != self._task:
                return False
            ok = self.sim.takeoff(timeout_s=float(timeout_s))
            self._drain()
            return ok

    def land(self, token: int, timeout_s: float) -> bool:
        with self.lock:
            if token != self._task:
                return False
            ok = self.sim.land(timeout_s=float(timeout_s))
            self._drain()
            return ok

    def run(self, token: int, command: Callable[[], DroneCommand], duration_s: float | None = None,
            done: Callable[[], bool] | None = None, timeout_s: float = math.inf) -> bool:
        """Step ``command()`` (body FLU) one control period at a time, for ``duration_s`` or until ``done()``.

        Returns True when the duration ends or ``done()`` holds; False when pre-empted or timed out.
        """
        n = None if duration_s is None else max(0, round(float(duration_s) / self.dt))
        k = 0
        wall0, t0 = time.perf_counter(), None
        while True:
            while self._paused.is_set() and token == self._task:
                time.sleep(0.005)
            with self.lock:
                if token != self._task:
                    return False
                if done is not None and done():
                    return True
                if n is not None and k >= n:
                    return True
                if k * self.dt >= timeout_s:
                    return False
                if self.sim.mode is not FlightMode.FLYING:  # crashed, emergency or landed by someone
                    return False
                t0 = float(self.sim.data.time) if t0 is None else t0
                self.sim.act(command())
                self._drain()
                k += 1
                sim_elapsed = float(self.sim.data.time) - t0
            if self.clock_speed:
                lag = sim_elapsed / self.clock_speed - (time.perf_counter() - wall0)
                if lag > 0:
                    time.sleep(lag)
                    continue
            # yield the GIL between periods: without it a connection thread can wait for the whole manoeuvre (the
            # lock is re-taken at once), so a newer command arrives only after the one it should pre-empt ended
            time.sleep(0)

    def velocity_command(self, v_ned: np.ndarray, body: bool, drivetrain: int, yaw_mode: Mapping[str, Any],
                         z_target_ned: float | None = None) -> DroneCommand:
        """One control period of ``moveByVelocity*``: velocity in NED world (``body=False``) or FRD body,
        m/s; ``z_target_ned`` replaces vz with altitude hold (``moveByVelocityZ``)."""
        st = self.sim.state()
        yaw = st.yaw
        v = cv.ned_to_flu(v_ned)
        if body:  # AirSim's body frame for velocities is the heading frame (yaw only)
            c, s = math.cos(yaw), math.sin(yaw)
            v = np.array([c * v[0] - s * v[1], s * v[0] + c * v[1], v[2]])
        if z_target_ned is not None:
            z_up = -(z_target_ned) + self._origin[2]
            v[2] = float(np.clip(_Z_GAIN * (z_up - st.position[2]), -1.0, 1.0))
        yaw_rate = self._yaw_rate(yaw, yaw_mode, drivetrain, v)
        c, s = math.cos(yaw), math.sin(yaw)
        return DroneCommand(c * v[0] + s * v[1], -s * v[0] + c * v[1], float(v[2]), yaw_rate)

    def position_command(self, target_ned: np.ndarray, speed: float, drivetrain: int,
                         yaw_mode: Mapping[str, Any]) -> DroneCommand:
        """One control period of ``moveToPosition``: approach at up to ``speed`` m/s."""
        err = cv.ned_to_flu(target_ned) + self._origin - self.sim.state().position
        dist = float(np.linalg.norm(err))
        v_flu = err * (min(speed, _POS_GAIN * dist) / dist) if dist > 1e-9 else np.zeros(3)
        return self.velocity_command(cv.flu_to_ned(v_flu), False, drivetrain, yaw_mode)

    def distance_to(self, target_ned: np.ndarray, axes: slice = slice(0, 3)) -> float:
        return float(np.linalg.norm((self.position_ned() - np.asarray(target_ned))[axes]))

    def yaw_error_deg(self, target_deg: float) -> float:
        """AirSim yaw target (degrees, clockwise) minus the current AirSim yaw, wrapped to ±180."""
        cur = math.degrees(cv.yaw_flu_to_ned(self.sim.state().yaw))
        return (float(target_deg) - cur + 180.0) % 360.0 - 180.0

    def _yaw_rate(self, yaw: float, mode: Mapping[str, Any], drivetrain: int, v_world_flu: np.ndarray) -> float:
        is_rate, value = bool(mode.get("is_rate", True)), float(mode.get("yaw_or_rate", 0.0))
        if drivetrain == 1:  # ForwardOnly: face the horizontal velocity, plus the offset
            if is_rate:
                raise VehicleError("ForwardOnly drivetrain needs YawMode(is_rate=False, offset in degrees)")
            if math.hypot(v_world_flu[0], v_world_flu[1]) < 0.05:
                return 0.0
            target = math.atan2(v_world_flu[1], v_world_flu[0]) - math.radians(value)
        elif is_rate:
            return -math.radians(value)  # AirSim: deg/s clockwise; ours: rad/s counter-clockwise
        else:
            target = -math.radians(value)
        err = (target - yaw + math.pi) % (2 * math.pi) - math.pi
        return float(np.clip(_YAW_GAIN * err, -_MAX_YAW_RATE, _MAX_YAW_RATE))

    def hold(self) -> DroneCommand:
        return DroneCommand.hover()

    # ------------------------------------------------------------------ state
    @property
    def origin(self) -> np.ndarray:
        """The start position in the plansight world (z up, m): AirSim's NED origin."""
        return self._origin.copy()

    def position_ned(self) -> np.ndarray:
        return cv.flu_to_ned(self.sim.data.qpos[0:3] - self._origin)

    def pose(self) -> dict:
        """AirSim ``Pose`` of the vehicle: NED position relative to the start, body FRD → NED quaternion."""
        with self.lock:
            return {"position": cv.vec(*self.position_ned()),
                    "orientation": cv.quat(*cv.quat_flu_to_ned(self.sim.data.qpos[3:7]))}

    def set_pose(self, pose: Mapping[str, Any]) -> None:
        """Teleport to an AirSim ``Pose``; NaN components keep the current value (AirSim's convention). Infinite
        components, and positions farther than ``MAX_POSE_M`` from the origin, are refused: MuJoCo cannot step
        them, and the vehicle would stop answering."""
        p_new, q_new = cv.vec_to_np(pose["position"]), cv.quat_to_np(pose["orientation"])
        for what, v in (("position", p_new), ("orientation", q_new)):
            if np.isinf(v).any():
                raise VehicleError(f"pose {what} has an infinite component: {v.tolist()}")
        far = np.abs(np.nan_to_num(p_new)) > MAX_POSE_M
        if far.any():
            raise VehicleError(f"pose position {p_new.tolist()} is more than {MAX_POSE_M:g} m from the origin")
        with self.lock:
            self._task += 1
            p = np.where(np.isnan(p_new), self.position_ned(), p_new)
            q = cv.quat_flu_to_ned(self.sim.data.qpos[3:7]) if np.isnan(q_new).any() else q_new
            if np.linalg.norm(q) < 1e-9:
                raise VehicleError("orientation quaternion has zero norm")
            self.sim.set_pose(cv.ned_to_flu(p) + self._origin, cv.quat_ned_to_flu(q))

    def kinematics(self) -> dict:
        """AirSim ``KinematicsState``: NED world position/velocity/acceleration, FRD body rates."""
        with self.lock:
            d = self.sim.data
            return {"position": cv.vec(*self.position_ned()),
                    "orientation": cv.quat(*cv.quat_flu_to_ned(d.qpos[3:7])),
                    "linear_velocity": cv.vec(*cv.flu_to_ned(d.qvel[0:3])),
                    "angular_velocity": cv.vec(*cv.flu_to_ned(d.qvel[3:6])),
                    "linear_acceleration": cv.vec(*cv.flu_to_ned(d.qacc[0:3])),
                    "angular_acceleration": cv.vec(*cv.flu_to_ned(d.qacc[3:6]))}

    def multirotor_state(self) -> dict:
        """AirSim ``MultirotorState`` (the six serialised keys)."""
        with self.lock:
            n, e, dn = self.position_ned()
            lat0, lon0, alt0 = HOME
            gps = {"latitude": lat0 + math.degrees(n / EARTH_RADIUS_M),
                   "longitude": lon0 + math.degrees(e / (EARTH_RADIUS_M * math.cos(math.radians(lat0)))),
                   "altitude": alt0 - dn}
            return {"collision": dict(self._collision), "kinematics_estimated": self.kinematics(),
                    "gps_location": gps, "timestamp": self.time_ns,
                    "landed_state": 1 if self.sim.airborne else 0, "rc_data": _rc_data()}

    def collision_info(self) -> dict:
        with self.lock:
            return dict(self._collision)

    def _drain(self) -> None:
        """Collect the simulator's events (no rendering: the sim has none) into the collision info."""
        obs = self.sim.observe()
        for ev in obs.events:
            if ev.kind == "collision":
                self._collision = self._collision_from_contacts(str(ev.data.get("with", "")), ev.t)

    def _collision_from_contacts(self, other: str, t: float) -> dict:
        m, d = self.sim.model, self.sim.data
        pos, normal, depth = d.qpos[0:3].copy(), np.zeros(3), 0.0
        oid = mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_GEOM, other) if other else -1
        for c in d.contact[: d.ncon]:
            if oid in (int(c.geom[0]), int(c.geom[1])):
                pos, normal, depth = c.pos.copy(), c.frame[:3].copy(), max(0.0, -float(c.dist))
                if int(c.geom[0]) == oid:  # MuJoCo's normal points from geom[0] to geom[1]: make it point at us
                    normal = -normal
                break
        return {"has_collided": True, "penetration_depth": depth, "time_stamp": int(round(t * 1e9)),
                "normal": cv.vec(*cv.flu_to_ned(normal)), "impact_point": cv.vec(*cv.flu_to_ned(pos - self._origin)),
                "position": cv.vec(*self.position_ned()), "object_name": other, "object_id": int(oid)}

    def _require_api_control(self, what: str) -> None:
        if not self.api_control:
            raise VehicleError(f"{what}: vehicle is not under API control; call enableApiControl(True) first")

    # ------------------------------------------------------------------ cameras and images
    def camera(self, name: Any) -> str:
        cam = CAMERA_ALIASES.get(str(name))
        if cam is None:
            raise VehicleError(f"Camera with name '{name}' doesn't exist for vehicle; "
                               f"available: {', '.join(sorted(k for k in CAMERA_ALIASES if k))}")
        return cam

    def camera_pose(self, cam: str, world: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """AirSim camera pose (position m, quaternion of the AirSim camera frame), in NED world or FRD body."""
        T = self.sim.cameras[cam].T_body_cam
        if not world:
            return cv.airsim_pose_from_T_body_cam(T)
        R_wb = cv.quat_to_matrix(self.sim.data.qpos[3:7])
        Tw = np.eye(4)
        Tw[:3, :3] = R_wb @ T[:3, :3]
        Tw[:3, 3] = R_wb @ T[:3, 3] + self.sim.data.qpos[0:3] - self._origin
        return cv.airsim_pose_from_T_body_cam(Tw)  # same F·R·Pᵀ algebra, world instead of body

    def camera_info(self, name: Any) -> dict:
        """AirSim ``CameraInfo``: world pose, horizontal FOV in degrees, a pinhole projection matrix."""
        cam = self.camera(name)
        model = self.sim.cameras[cam]
        with self.lock:
            p, q = self.camera_pose(cam)
        fx, fy = model.fx, model.fy
        w, h, near = model.width, model.height, 0.01
        proj = [[2 * fx / w, 0.0, 0.0, 0.0], [0.0, 2 * fy / h, 0.0, 0.0], [0.0, 0.0, 0.0, near], [0.0, 0.0, 1.0, 0.0]]
        return {"pose": {"position": cv.vec(*p), "orientation": cv.quat(*q)},
                "fov": math.degrees(model.hfov_rad), "proj_mat": {"matrix": proj}}

    def images(self, requests: list[Mapping[str, Any]]) -> list[dict]:
        """AirSim ``ImageResponse`` maps for ``ImageRequest`` maps (all rendered at the same instant).

        At most ``MAX_IMAGE_REQUESTS`` requests per call, and a response of at most ``MAX_RESPONSE_BYTES``
        (estimated before rendering: 3 bytes per pixel for images, 5 for float depth as msgpack float32):
        one small call must not make the server allocate gigabytes. Beyond either, a ``VehicleError`` says
        so and nothing is rendered."""
        if len(requests) > MAX_IMAGE_REQUESTS:
            raise VehicleError(f"{len(requests)} image requests in one call; the server answers at most "
                               f"{MAX_IMAGE_REQUESTS} (split the call)")
        parsed = []
        for r in requests:
            if not isinstance(r, Mapping):
                raise TypeError(f"ImageRequest must be a map, got {type(r).__name__}")
            kind = int(r.get("image_type", SCENE))
            if kind not in (SCENE, DEPTH_PLANAR, DEPTH_PERSPECTIVE, DEPTH_VIS):
                raise VehicleError(f"image type {kind} is not supported by the plansight server "
                                   "(Scene 0, DepthPlanar 1, DepthPerspective 2, DepthVis 3)")
            parsed.append((str(r.get("camera_name", "")), self.camera(r.get("camera_name", "")), kind,
                           bool(r.get("pixels_as_float", False)), bool(r.get("compress", True))))
        size = sum(self.sim.cameras[cam].width * self.sim.cameras[cam].height * (5 if as_float and kind != SCENE else 3)
                   + 1024 for _, cam, kind, as_float, _ in parsed)
        if size > MAX_RESPONSE_BYTES:
            raise VehicleError(f"these {len(parsed)} image requests would answer about {size / 2**20:.0f} MiB; the "
                               f"server answers at most {MAX_RESPONSE_BYTES / 2**20:.0f} MiB per call")
        with self.lock:
            need = {(cam, kind == SCENE) for _, cam, kind, _, _ in parsed}
            frames = self._gl.submit(self._render, sorted(need)).result()
            t_ns = self.time_ns
            poses = {cam: self.camera_pose(cam) for _, cam, _, _, _ in parsed}
        out = []
        for name, cam, kind, as_float, compress in parsed:
            img = frames[(cam, kind == SCENE)]
            if kind == DEPTH_PERSPECTIVE:
                img = img * self._ray_scale(cam)
            u8, f32 = b"", []
            if kind == SCENE:
                bgr = np.ascontiguousarray(img[:, :, ::-1])
                u8 = cv2.imencode(".png", bgr)[1].tobytes() if compress else bgr.tobytes()
            elif as_float:
                f32 = img.astype(np.float32).ravel().tolist()
            else:
                gray = (np.clip(img / DEPTH_VIS_MAX_M, 0.0, 1.0) * 255.0).astype(np.uint8)
                bgr = np.repeat(gray[:, :, None], 3, axis=2)
                u8 = cv2.imencode(".png", bgr)[1].tobytes() if compress else bgr.tobytes()
            p, q = poses[cam]
            h, w = img.shape[:2]
            out.append({"image_data_uint8": u8, "image_data_float": f32, "camera_position": cv.vec(*p),
                        "camera_name": name, "camera_orientation": cv.quat(*q), "time_stamp": t_ns,
                        "message": "", "pixels_as_float": as_float and kind != SCENE, "compress": compress,
                        "width": w, "height": h, "image_type": kind})
        return out

    def _render(self, need: list[tuple[str, bool]]) -> dict[tuple[str, bool], np.ndarray]:
        """On the GL thread, with the sim lock held by the caller: RGB (True) or planar depth (False)."""
        if self._renderer is None or self._renderer_model is not self.sim.model:
            if self._renderer is not None:
                self._renderer.close()
            c = self.cfg.camera
            self._renderer = CameraRenderer(self.sim.model, c.width, c.height, depth=True)
            self._renderer_model = self.sim.model
        r, d = self._renderer, self.sim.data
        return {(cam, rgb): (r.rgb(d, cam) if rgb else r.depth(d, cam)) for cam, rgb in need}

    def _ray_scale(self, cam: str) -> np.ndarray:
        """H×W factor turning planar depth into distance along each pixel's ray."""
        m = self.sim.cameras[cam]
        u = (np.arange(m.width) - m.cx) / m.fx
        v = (np.arange(m.height) - m.cy) / m.fy
        return np.sqrt(1.0 + u[None, :] ** 2 + v[:, None] ** 2).astype(np.float32)


def _no_collision() -> dict:
    z = cv.vec(0.0, 0.0, 0.0)
    return {"has_collided": False, "penetration_depth": 0.0, "time_stamp": 0, "normal": z, "impact_point": z,
            "position": z, "object_name": "", "object_id": -1}


def _rc_data() -> dict:
    return {"timestamp": 0, "pitch": 0.0, "roll": 0.0, "throttle": 0.0, "yaw": 0.0, "left_z": 0.0, "right_z": 0.0,
            "switches": 0, "vendor_id": "", "is_initialized": False, "is_valid": False}
