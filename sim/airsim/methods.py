"""The AirSim multirotor RPC methods the plansight server answers, keyed by (name, argument count).

rpclib dispatches on the method name *and* the number of arguments; the official client always sends
every optional argument, so each entry below has exactly one arity (``airsim_api.md`` §2.2, §4).
A handler either returns the result or, for a manoeuvre, a zero-argument callable that the server
runs on a worker thread and answers when it returns (the ``*Async`` futures of the client). Argument
checks and the pre-emption of the running manoeuvre happen before that, in request order.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from plansight.sim.airsim.vehicle import HOME, VEHICLE_NAME, SimVehicle

log = logging.getLogger(__name__)

SERVER_VERSION = 1
MIN_CLIENT_VERSION = 1

Handler = Callable[..., Any]
METHODS: dict[tuple[str, int], Handler] = {}


class Deferred:
    """A manoeuvre to run on a worker thread; the RPC is answered with its return value."""

    def __init__(self, fn: Callable[[], Any]) -> None:
        self.fn = fn


def rpc(name: str, argc: int) -> Callable[[Handler], Handler]:
    def deco(fn: Handler) -> Handler:
        METHODS[(name, argc)] = fn
        return fn
    return deco


# ------------------------------------------------------------------ argument checks (msgpack::type_error-like)
def _f(x: Any, what: str) -> float:
    if isinstance(x, bool) or not isinstance(x, int | float):
        raise TypeError(f"{what} must be a number, got {type(x).__name__}")
    return float(x)


def _fin(x: Any, what: str) -> float:
    v = _f(x, what)
    if not math.isfinite(v):
        raise ValueError(f"{what} must be finite, got {v}")
    return v


def _b(x: Any, what: str) -> bool:
    if not isinstance(x, bool | int):
        raise TypeError(f"{what} must be a bool, got {type(x).__name__}")
    return bool(x)


def _s(x: Any, what: str) -> str:
    if not isinstance(x, str):
        raise TypeError(f"{what} must be a string, got {type(x).__name__}")
    return x


def _m(x: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(x, Mapping):
        raise TypeError(f"{what} must be a map, got {type(x).__name__}")
    return x


def _yaw_mode(x: Any) -> Mapping[str, Any]:
    m = _m(x, "yaw_mode")
    return {"is_rate": _b(m.get("is_rate", True), "yaw_mode.is_rate"),
            "yaw_or_rate": _fin(m.get("yaw_or_rate", 0.0), "yaw_mode.yaw_or_rate")}


def _drivetrain(x: Any) -> int:
    if isinstance(x, bool) or not isinstance(x, int) or x not in (0, 1):
        raise ValueError(f"drivetrain must be 0 (MaxDegreeOfFreedom) or 1 (ForwardOnly), got {x!r}")
    return x


def _duration(x: Any) -> float:
    d = _fin(x, "duration")
    if d < 0:
        raise ValueError(f"duration must be >= 0 s, got {d}")
    return d


# ------------------------------------------------------------------ connection and control
@rpc("ping", 0)
def ping(v: SimVehicle) -> bool:
    return True


@rpc("getServerVersion", 0)
def get_server_version(v: SimVehicle) -> int:
    return SERVER_VERSION


@rpc("getMinRequiredClientVersion", 0)
def get_min_client_version(v: SimVehicle) -> int:
    return MIN_CLIENT_VERSION


@rpc("listVehicles", 0)
def list_vehicles(v: SimVehicle) -> list[str]:
    return [VEHICLE_NAME]


@rpc("getHomeGeoPoint", 1)
def get_home_geo_point(v: SimVehicle, vehicle: Any) -> dict:
    v.check_vehicle(_s(vehicle, "vehicle_name"))
    lat, lon, alt = HOME
    return {"latitude": lat, "longitude": lon, "altitude": alt}


@rpc("simPrintLogMessage", 3)
def sim_print_log_message(v: SimVehicle, message: Any, param: Any, severity: Any) -> None:
    """AirSim prints on the Unreal viewport; we log it."""
    log.info("client message: %s %s", _s(message, "message"), _s(param, "message_param"))
    if isinstance(severity, bool) or not isinstance(severity, int):
        raise TypeError(f"severity must be an int, got {type(severity).__name__}")


@rpc("reset", 0)
def reset(v: SimVehicle) -> None:
    v.reset()


@rpc("enableApiControl", 2)
def enable_api_control(v: SimVehicle, is_enabled: Any, vehicle: Any) -> None:
    v.check_vehicle(_s(vehicle, "vehicle_name"))
    v.enable_api_control(_b(is_enabled, "is_enabled"))


@rpc("isApiControlEnabled", 1)
def is_api_control_enabled(v: SimVehicle, vehicle: Any) -> bool:
    v.check_vehicle(_s(vehicle, "vehicle_name"))
    return v.api_control


@rpc("armDisarm", 2)
def arm_disarm(v: SimVehicle, arm: Any, vehicle: Any) -> bool:
    v.check_vehicle(_s(vehicle, "vehicle_name"))
    return v.arm_disarm(_b(arm, "arm"))


@rpc("simPause", 1)
def sim_pause(v: SimVehicle, paused: Any) -> None:
    v.pause(_b(paused, "is_paused"))


@rpc("simIsPaused", 0)
def sim_is_paused(v: SimVehicle) -> bool:
    return v.paused


@rpc("cancelLastTask", 1)
def cancel_last_task(v: SimVehicle, vehicle: Any) -> None:
    v.check_vehicle(_s(vehicle, "vehicle_name"))
    v.cancel()


# ------------------------------------------------------------------ manoeuvres (answered when done)
@rpc("takeoff", 2)
def takeoff(v: SimVehicle, timeout: Any, vehicle: Any) -> Deferred:
    v.check_vehicle(_s(vehicle, "vehicle_name"))
    t = _fin(timeout, "timeout_sec")
    token = v.begin("takeoff", need_flying=False)
    return Deferred(lambda: v.takeoff(token, t))


@rpc("land", 2)
def land(v: SimVehicle, timeout: Any, vehicle: Any) -> Deferred:
    v.check_vehicle(_s(vehicle, "vehicle_name"))
    t = _fin(timeout, "timeout_sec")
    token = v.begin("land", need_flying=False)
    return Deferred(lambda: v.land(token, t))


@rpc("hover", 1)
def hover(v: SimVehicle, vehicle: Any) -> Deferred:
    v.check_vehicle(_s(vehicle, "vehicle_name"))
    token = v.begin("hover")
    return Deferred(lambda: v.run(token, v.hold, duration_s=v.dt))


def _move_by_velocity(v: SimVehicle, body: bool, name: str, vx: Any, vy: Any, vz: Any, duration: Any,
                      drivetrain: Any, yaw_mode: Any, vehicle: Any, z_hold: bool = False) -> Deferred:
    v.check_vehicle(_s(vehicle, "vehicle_name"))
    vel = np.array([_fin(vx, "vx"), _fin(vy, "vy"), 0.0 if z_hold else _fin(vz, "vz")])
    z = _fin(vz, "z") if z_hold else None
    d, dt, ym = _duration(duration), _drivetrain(drivetrain), _yaw_mode(yaw_mode)
    if dt == 1 and ym["is_rate"]:
        raise ValueError("ForwardOnly drivetrain needs YawMode(is_rate=False, offset in degrees)")
    token = v.begin(name)
    return Deferred(lambda: v.run(token, lambda: v.velocity_command(vel, body, dt, ym, z), duration_s=d))


@rpc("moveByVelocity", 7)
def move_by_velocity(v: SimVehicle, *args: Any) -> Deferred:
    return _move_by_velocity(v, False, "moveByVelocity", *args)


@rpc("moveByVelocityBodyFrame", 7)
def move_by_velocity_body(v: SimVehicle, *args: Any) -> Deferred:
    return _move_by_velocity(v, True, "moveByVelocityBodyFrame", *args)


@rpc("moveByVelocityZ", 7)
def move_by_velocity_z(v: SimVehicle, *args: Any) -> Deferred:
    return _move_by_velocity(v, False, "moveByVelocityZ", *args, z_hold=True)


@rpc("moveByVelocityZBodyFrame", 7)
def move_by_velocity_z_body(v: SimVehicle, *args: Any) -> Deferred:
    return _move_by_velocity(v, True, "moveByVelocityZBodyFrame", *args, z_hold=True)


@rpc("moveToPosition", 10)
def move_to_position(v: SimVehicle, x: Any, y: Any, z: Any, velocity: Any, timeout: Any, drivetrain: Any,
                     yaw_mode: Any, lookahead: Any, adaptive_lookahead: Any, vehicle: Any) -> Deferred:
    v.check_vehicle(_s(vehicle, "vehicle_name"))
    target = np.array([_fin(x, "x"), _fin(y, "y"), _fin(z, "z")])
    speed, t = _fin(velocity, "velocity"), _f(timeout, "timeout_sec")
    if speed <= 0:
        raise ValueError(f"velocity must be > 0 m/s, got {speed}")
    dt, ym = _drivetrain(drivetrain), _yaw_mode(yaw_mode)
    _f(lookahead, "lookahead"), _f(adaptive_lookahead, "adaptive_lookahead")  # accepted, not used
    token = v.begin("moveToPosition")
    return Deferred(lambda: v.run(token, lambda: v.position_command(target, speed, dt, ym),
                                  done=lambda: v.distance_to(target) < 0.1, timeout_s=t))


@rpc("moveToZ", 7)
def move_to_z(v: SimVehicle, z: Any, velocity: Any, timeout: Any, yaw_mode: Any, lookahead: Any,
              adaptive_lookahead: Any, vehicle: Any) -> Deferred:
    v.check_vehicle(_s(vehicle, "vehicle_name"))
    zt, speed, t, ym = _fin(z, "z"), _fin(velocity, "velocity"), _f(timeout, "timeout_sec"), _yaw_mode(yaw_mode)
    _f(lookahead, "lookahead"), _f(adaptive_lookahead, "adaptive_lookahead")
    token = v.begin("moveToZ")
    state: dict[str, np.ndarray] = {}

    def command():
        state.setdefault("xy", v.position_ned()[:2].copy())
        return v.position_command(np.array([*state["xy"], zt]), speed, 0, ym)

    return Deferred(lambda: v.run(token, command, done=lambda: abs(v.position_ned()[2] - zt) < 0.1, timeout_s=t))


@rpc("rotateToYaw", 4)
def rotate_to_yaw(v: SimVehicle, yaw: Any, timeout: Any, margin: Any, vehicle: Any) -> Deferred:
    v.check_vehicle(_s(vehicle, "vehicle_name"))
    target, t, tol = _fin(yaw, "yaw"), _f(timeout, "timeout_sec"), abs(_fin(margin, "margin"))
    mode = {"is_rate": False, "yaw_or_rate": target}
    token = v.begin("rotateToYaw")
    return Deferred(lambda: v.run(token, lambda: v.velocity_command(np.zeros(3), True, 0, mode),
                                  done=lambda: abs(v.yaw_error_deg(target)) <= tol, timeout_s=t))


@rpc("rotateByYawRate", 3)
def rotate_by_yaw_rate(v: SimVehicle, rate: Any, duration: Any, vehicle: Any) -> Deferred:
    v.check_vehicle(_s(vehicle, "vehicle_name"))
    mode, d = {"is_rate": True, "yaw_or_rate": _fin(rate, "yaw_rate")}, _duration(duration)
    token = v.begin("rotateByYawRate")
    return Deferred(lambda: v.run(token, lambda: v.velocity_command(np.zeros(3), True, 0, mode), duration_s=d))


# ------------------------------------------------------------------ state and images
@rpc("getMultirotorState", 1)
def get_multirotor_state(v: SimVehicle, vehicle: Any) -> dict:
    v.check_vehicle(_s(vehicle, "vehicle_name"))
    return v.multirotor_state()


@rpc("simGetGroundTruthKinematics", 1)
def get_ground_truth_kinematics(v: SimVehicle, vehicle: Any) -> dict:
    v.check_vehicle(_s(vehicle, "vehicle_name"))
    return v.kinematics()


@rpc("simGetVehiclePose", 1)
def get_vehicle_pose(v: SimVehicle, vehicle: Any) -> dict:
    v.check_vehicle(_s(vehicle, "vehicle_name"))
    return v.pose()


@rpc("simSetVehiclePose", 3)
def set_vehicle_pose(v: SimVehicle, pose: Any, ignore_collision: Any, vehicle: Any) -> None:
    v.check_vehicle(_s(vehicle, "vehicle_name"))
    _b(ignore_collision, "ignore_collision")
    p = _m(pose, "pose")
    v.set_pose({"position": _m(p.get("position"), "pose.position"),
                "orientation": _m(p.get("orientation"), "pose.orientation")})


@rpc("simGetCollisionInfo", 1)
def get_collision_info(v: SimVehicle, vehicle: Any) -> dict:
    v.check_vehicle(_s(vehicle, "vehicle_name"))
    return v.collision_info()


@rpc("simGetImages", 3)
def get_images(v: SimVehicle, requests: Any, vehicle: Any, external: Any) -> list[dict]:
    v.check_vehicle(_s(vehicle, "vehicle_name"))
    if _b(external, "external"):
        raise ValueError("external cameras are not supported by the plansight server")
    if not isinstance(requests, list | tuple):
        raise TypeError(f"requests must be an array of ImageRequest, got {type(requests).__name__}")
    return v.images(list(requests))


@rpc("simGetImage", 4)
def get_image(v: SimVehicle, camera: Any, image_type: Any, vehicle: Any, external: Any) -> bytes:
    """PNG bytes, as AirSim's ``simGetImage``."""
    v.check_vehicle(_s(vehicle, "vehicle_name"))
    if _b(external, "external"):
        raise ValueError("external cameras are not supported by the plansight server")
    if isinstance(image_type, bool) or not isinstance(image_type, int):
        raise TypeError(f"image_type must be an int, got {type(image_type).__name__}")
    req = {"camera_name": str(camera), "image_type": image_type, "pixels_as_float": False, "compress": True}
    return v.images([req])[0]["image_data_uint8"]


@rpc("simGetCameraInfo", 3)
def get_camera_info(v: SimVehicle, camera: Any, vehicle: Any, external: Any) -> dict:
    v.check_vehicle(_s(vehicle, "vehicle_name"))
    if _b(external, "external"):
        raise ValueError("external cameras are not supported by the plansight server")
    return v.camera_info(camera)


def implemented() -> list[str]:
    """``name/argc`` of every method the server answers, sorted."""
    return sorted(f"{n}/{a}" for n, a in METHODS)




# ------------------------------------------------------------------ plansight extensions (not in AirSim)
@rpc("plansightGetWorld", 0)
def plansight_get_world(v: SimVehicle) -> dict:
    """Where AirSim's NED origin sits in the plansight world (z up, metres) and the room layout, so a
    client can report positions in the same world as a MuJoCo mission. A real AirSim answers this with
    rpclib's "could not find function" error, and the adapter falls back to its config."""
    with v.lock:
        return {"origin": [float(x) for x in v.origin], "room": v.sim.layout.to_dict()}
