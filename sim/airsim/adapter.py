"""``AirSimDrone``: a multirotor in AirSim (or a fork, or ``plansight serve-airsim``) as a plansight ``Flyer``.

Every AirSim call goes through ``sim/airsim/client.py``; this module converts (``convert.py``):

* observations: ``simGetImages`` with the two configured cameras as uncompressed Scene (BGR → RGB)
  and, for evaluation, the left camera's DepthPlanar (float metres) in one request, so all three are
  rendered at the same instant; ``getMultirotorState`` for the state (NED → plansight world, shifted
  by the world origin) and collision info (a new collision ``time_stamp`` becomes a ``collision`` event).
* commands: ``DroneCommand`` (FLU body, m/s, rad/s counter-clockwise) → ``moveByVelocityBodyFrame``
  (FRD, m/s, yaw rate in deg/s clockwise) for one control period, waited for, so ``act`` returns
  when the period is over, as the Embodiment contract says.
* cameras: intrinsics from ``simGetCameraInfo`` (horizontal FOV) and the image size; extrinsics from
  the camera pose relative to the vehicle pose; the stereo baseline is the distance between them.

Faults: calls time out (``timeout_s``), a lost connection is retried on the next call
(``reconnect_attempts``), and when the server is gone for good every call raises
``AirSimConnectionError`` naming host and port, which the mission runner turns into a safe stop
and an ``aborted`` status with its run folder finalised.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping

import numpy as np

from plansight.agent.contracts import CameraModel, DroneCommand, DroneState, Event, Observation
from plansight.sim.airsim import convert as cv
from plansight.sim.airsim import rpc
from plansight.sim.airsim.client import AirSimClient, AsyncResult, RpcClient, image_request, yaw_mode
from plansight.sim.airsim.config_airsim import AirSimConfig
from plansight.sim.airsim.spawn import SPAWNERS, SpawnedServer

log = logging.getLogger(__name__)

LEFT, RIGHT = "left", "right"  # camera names in observations (as the MuJoCo drone's)
SCENE, DEPTH_PLANAR = 0, 1
CLIENT_VERSION = 1
_TAKEOFF_TIMEOUT_S = 20.0
_LAND_TIMEOUT_S = 60.0


class AirSimDrone:
    """A ``Flyer`` over AirSim's multirotor API. See the module docstring for frames and faults.

    Args:
        cfg: adapter configuration (which server, which cameras, timeouts; the loopback server's simulator).
    """

    def __init__(self, cfg: AirSimConfig | None = None) -> None:
        self.cfg = cfg or AirSimConfig()
        self._server: SpawnedServer | None = None
        self._server_seed: int | None = None
        self._rpc: RpcClient | None = None
        self._events: list[Event] = []
        self._t0_ns = 0
        self._t = 0.0
        self._flying = False
        self.collisions = 0
        self._last_collision_ns = 0
        self._room: dict | None = None
        self._origin = np.zeros(3)
        self._open(self._layout_seed(None))

    # ------------------------------------------------------------------ Embodiment
    @property
    def cameras(self) -> Mapping[str, CameraModel]:
        return self._cameras

    @property
    def dt(self) -> float:
        return 1.0 / self.cfg.control_hz

    @property
    def client(self) -> AirSimClient:
        return self._client

    def reset(self, seed: int | None = None) -> Observation:
        """AirSim ``reset``, then API control and arming. A spawned server is restarted when the seed picks
        another room; an external AirSim keeps its own world whatever the seed."""
        layout = self._layout_seed(seed)
        if self._server is not None and layout != self._server_seed:
            self._close_connection()
            self._open(layout)
        self.client.reset()
        self.client.enable_api_control(True)
        if not self.client.arm_disarm(True):
            raise RuntimeError("the AirSim vehicle refused to arm")
        state = self.client.get_multirotor_state()
        self._t0_ns = int(state["timestamp"])
        self._last_collision_ns = int(state["collision"].get("time_stamp", 0) or 0)
        self._flying = False
        self.collisions = 0
        self._events = [Event(0.0, "reset", {"seed": seed, "server": self._rpc.where if self._rpc else ""})]
        info = {"room": self._room} if self._room is not None else {}
        return self._observation(state, info)

    def observe(self) -> Observation:
        return self._observation(None, {})

    def act(self, command: DroneCommand) -> DroneCommand:
        """Fly ``command`` for one control period (returns when AirSim reports it done). Ignored, and hover
        returned, unless flying; a non-finite command becomes hover."""
        if not command.is_finite():
            self._emit("nonfinite_command", {"command": [repr(x) for x in command.as_array()]})
            command = DroneCommand.hover()
        if not self._flying:
            return DroneCommand.hover()
        fut = self.client.move_by_velocity_body_frame_async(
            command.vx, -command.vy, -command.vz, self.dt, 0, yaw_mode(True, -math.degrees(command.yaw_rate)))
        self._wait(fut, "moveByVelocityBodyFrame", self.cfg.timeout_s + self.dt)
        return command

    def takeoff(self) -> bool:
        """``takeoffAsync`` and wait; then climb or descend to ``hover_altitude_m`` if AirSim stopped elsewhere."""
        self._emit("takeoff_started", {})
        ok = bool(self._wait(self.client.takeoff_async(_TAKEOFF_TIMEOUT_S), "takeoff", _TAKEOFF_TIMEOUT_S + 5))
        state = self.client.get_multirotor_state()
        self._flying = ok and state["landed_state"] == 1
        if self._flying:
            z_up = self._position(state)[2]
            if abs(z_up - self.cfg.hover_altitude_m) > 0.1:
                target_ned = -(self.cfg.hover_altitude_m - self._origin[2])
                self._wait(self.client.move_to_z_async(target_ned, self.cfg.takeoff_speed_mps, 15.0), "moveToZ", 20.0)
                z_up = self._position(self.client.get_multirotor_state())[2]
            self._emit("takeoff", {"altitude_m": float(z_up)})
        else:
            self._emit("takeoff_failed", {"result": ok})
        return self._flying

    def land(self) -> bool:
        self._emit("landing_started", {})
        ok = bool(self._wait(self.client.land_async(_LAND_TIMEOUT_S), "land", _LAND_TIMEOUT_S + 5))
        landed = self.client.get_multirotor_state()["landed_state"] == 0
        if ok and landed:
            self._flying = False
            self._emit("landed", {})
        return ok and landed

    def emergency(self) -> None:
        """AirSim has no motor cut: cancel the running task and disarm (a server may refuse in flight)."""
        self._flying = False
        self._emit("emergency", {})
        self.client.cancel_last_task()
        if not self.client.arm_disarm(False):
            log.warning("AirSim refused to disarm in flight")

    def close(self) -> None:
        """Release API control when reachable, disconnect, stop a spawned server. Never raises."""
        if self._rpc is not None and self._rpc.connected and not self._flying:
            try:
                self.client.arm_disarm(False)
                self.client.enable_api_control(False)
            except Exception as e:  # closing after a fault: the server may be gone
                log.debug("could not release API control: %s", e)
        self._close_connection()

    # ------------------------------------------------------------------ connection
    def _layout_seed(self, seed: int | None) -> int:
        return self.cfg.room.layout_seed if self.cfg.room.layout_seed is not None else (seed or 0)

    def _open(self, layout_seed: int) -> None:
        c = self.cfg
        host, port = c.host, c.port
        if c.spawn_server != "none":
            self._server = SPAWNERS[c.spawn_server](c, layout_seed, c.clock_speed)
            self._server_seed = layout_seed
            host, port = self._server.host, self._server.port
        self._rpc = RpcClient(host, port, timeout_s=c.timeout_s, connect_timeout_s=c.connect_timeout_s,
                              reconnect_attempts=c.reconnect_attempts)
        self._client = AirSimClient(self._rpc, c.vehicle_name)
        try:
            self._handshake()
            self._cameras = self._camera_models()
        except Exception:
            self._close_connection()
            raise

    def _handshake(self) -> None:
        if not self.client.ping():
            raise RuntimeError(f"AirSim server at {self._rpc.where} answered ping with false")
        server, need = self.client.server_version(), self.client.min_required_client_version()
        if need > CLIENT_VERSION:
            raise RuntimeError(f"AirSim server at {self._rpc.where} needs client version {need}; we speak "
                               f"{CLIENT_VERSION} (AirSim 1.8.1)")
        log.info("connected to AirSim server version %s at %s", server, self._rpc.where)
        try:
            world = self._rpc.call("plansightGetWorld")
            self._origin, self._room = np.asarray(world["origin"], dtype=np.float64), world["room"]
        except rpc.RpcError:  # a real AirSim: no plansight extensions
            self._room = None
            self._origin = np.zeros(3)
        if self.cfg.world_origin_m is not None:
            self._origin = np.asarray(self.cfg.world_origin_m, dtype=np.float64)

    def _close_connection(self) -> None:
        if self._rpc is not None:
            self._rpc.close()
        if self._server is not None:
            try:
                self._server.stop()
            except Exception as e:
                log.warning("could not stop the spawned AirSim server: %s", e)
            self._server = None

    def _camera_models(self) -> dict[str, CameraModel]:
        """Pinhole models of the two cameras, in plansight conventions (OpenCV camera, FLU body)."""
        pose = self.client.get_vehicle_pose()
        R_wb = cv.quat_to_matrix(cv.quat_to_np(pose["orientation"]))
        p_wb = cv.vec_to_np(pose["position"])
        shots = self.client.get_images([image_request(self.cfg.left_camera, SCENE, False, False)])
        w, h = int(shots[0]["width"]), int(shots[0]["height"])
        if w <= 0 or h <= 0:
            raise RuntimeError(f"AirSim camera {self.cfg.left_camera!r} returned an empty image")
        placed = {}
        for name, cam in ((LEFT, self.cfg.left_camera), (RIGHT, self.cfg.right_camera)):
            info = self.client.get_camera_info(cam)
            R_wc = cv.quat_to_matrix(cv.quat_to_np(info["pose"]["orientation"]))
            p_wc = cv.vec_to_np(info["pose"]["position"])
            p_rel, q_rel = R_wb.T @ (p_wc - p_wb), cv.matrix_to_quat(R_wb.T @ R_wc)
            placed[name] = (cv.T_body_cam_from_airsim(p_rel, q_rel), float(info["fov"]))
        baseline = float(np.linalg.norm(placed[LEFT][0][:3, 3] - placed[RIGHT][0][:3, 3]))
        models = {}
        for name, (T, fov_deg) in placed.items():
            f = (w / 2.0) / math.tan(math.radians(fov_deg) / 2.0)
            extra = {"baseline_m": baseline, "stereo_partner": RIGHT} if name == LEFT else {}
            models[name] = CameraModel(name=name, width=w, height=h, fx=f, fy=f, cx=(w - 1) / 2.0, cy=(h - 1) / 2.0,
                                       T_body_cam=T, **extra)
        log.info("AirSim cameras %s/%s: %dx%d, hfov %.1f deg, baseline %.3f m", self.cfg.left_camera,
                 self.cfg.right_camera, w, h, placed[LEFT][1], baseline)
        return models

    # ------------------------------------------------------------------ conversions
    def _wait(self, fut: AsyncResult, method: str, timeout: float):
        """Wait for a manoeuvre; once a call has failed (timeout, lost link), wait no longer than ``timeout_s``
        so that the safe stop after a fault (hover, land, disarm) cannot hang on a stalled server."""
        if self._rpc.failures:
            timeout = min(timeout, self.cfg.timeout_s)
        return self._rpc.wait(fut, method, timeout)

    def _position(self, state: dict) -> np.ndarray:
        return self._origin + cv.ned_to_flu(cv.vec_to_np(state["kinematics_estimated"]["position"]))

    def _drone_state(self, state: dict) -> DroneState:
        k = state["kinematics_estimated"]
        q = cv.quat_ned_to_flu(cv.quat_to_np(k["orientation"]))
        return DroneState(self._position(state), cv.ned_to_flu(cv.vec_to_np(k["linear_velocity"])),
                          np.array(cv.rpy_from_quat(q)), cv.ned_to_flu(cv.vec_to_np(k["angular_velocity"])),
                          1.0 if state["landed_state"] == 1 else 0.0)

    def _observation(self, state: dict | None, info: dict) -> Observation:
        c = self.cfg
        reqs = [image_request(c.left_camera, SCENE, False, False), image_request(c.right_camera, SCENE, False, False)]
        if c.ground_truth_depth:
            reqs.append(image_request(c.left_camera, DEPTH_PLANAR, True, False))
        shots = self.client.get_images(reqs)
        if state is None:
            state = self.client.get_multirotor_state()
        images = {LEFT: _rgb(shots[0], c.left_camera), RIGHT: _rgb(shots[1], c.right_camera)}
        depth = {LEFT: _depth(shots[2], c.left_camera)} if c.ground_truth_depth else {}
        self._t = max(0.0, (int(state["timestamp"]) - self._t0_ns) / 1e9)
        self._collision_events(state)
        events, self._events = tuple(self._events), []
        info = {**info, "mode": "flying" if state["landed_state"] == 1 else "landed", "collisions": self.collisions}
        return Observation(t=self._t, images=images, state=self._drone_state(state).to_vector(), depth=depth,
                           events=events, info=info)

    def _collision_events(self, state: dict) -> None:
        col = state["collision"]
        ts = int(col.get("time_stamp", 0) or 0)
        if col.get("has_collided") and ts != self._last_collision_ns:
            self._last_collision_ns = ts
            self.collisions += 1
            speed = float(np.linalg.norm(cv.vec_to_np(state["kinematics_estimated"]["linear_velocity"])))
            self._emit("collision", {"with": col.get("object_name", ""), "speed_mps": speed, "count": self.collisions})

    def _emit(self, kind: str, data: dict) -> None:
        self._events.append(Event(self._t, kind, data))
        log.debug("t=%.2f %s %s", self._t, kind, data)


def _rgb(resp: dict, camera: str) -> np.ndarray:
    """H×W×3 uint8 RGB from an uncompressed Scene response (AirSim sends BGR)."""
    w, h, buf = int(resp["width"]), int(resp["height"]), resp["image_data_uint8"]
    if w <= 0 or h <= 0 or len(buf) != w * h * 3:
        raise RuntimeError(f"AirSim camera {camera!r}: expected a {w}x{h}x3 image, got {len(buf)} bytes")
    return np.frombuffer(buf, np.uint8).reshape(h, w, 3)[:, :, ::-1].copy()


def _depth(resp: dict, camera: str) -> np.ndarray:
    """H×W float32 planar depth in metres from a DepthPlanar float response."""
    w, h, data = int(resp["width"]), int(resp["height"]), resp["image_data_float"]
    if len(data) != w * h:
        raise RuntimeError(f"AirSim camera {camera!r}: expected {w}x{h} depth values, got {len(data)}")
    return np.asarray(data, dtype=np.float32).reshape(h, w)
