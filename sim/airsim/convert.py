"""Frame and struct conversions between plansight and AirSim.

Frames:

* plansight world ``W``: right-handed, z up (``agent/contracts.py``); body ``B`` is FLU.
* AirSim world: NED (x north, y east, z down), metres, origin at the vehicle's start position; body
  is FRD (x forward, y right, z down).

We map plansight world x to AirSim north. Both the world and the body change by the same proper
rotation, 180° about x: ``F = diag(1, -1, -1)``. So a vector ``v`` (position, velocity, body rate)
maps as ``v_ned = F v``, a rotation ``R`` as ``F R F``, and a quaternion ``(w, x, y, z)`` as
``(w, x, -y, -z)``. Yaw flips sign (AirSim yaw is clockwise seen from above); at yaw 0 the body x
axis points north in both. AirSim angles in ``YawMode`` are degrees (rates deg/s).

Structs are plain dicts with AirSim's exact keys (``x_val``…, ``w_val``), which is how both the C++
server (``MSGPACK_DEFINE_MAP``) and the official Python client (``to_msgpack`` → ``__dict__``) put
them on the wire.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

F = np.diag([1.0, -1.0, -1.0])  # plansight (z up) <-> AirSim NED, world and body alike

# Camera frames: AirSim cameras look along their own x (FRD); OpenCV cameras along z (x right, y down).
# Columns of P are the OpenCV camera axes written in AirSim camera coordinates.
P_AIRSIM_FROM_CV = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])


def vec(x: float, y: float, z: float) -> dict[str, float]:
    """AirSim ``Vector3r`` map."""
    return {"x_val": float(x), "y_val": float(y), "z_val": float(z)}


def quat(w: float, x: float, y: float, z: float) -> dict[str, float]:
    """AirSim ``Quaternionr`` map."""
    return {"w_val": float(w), "x_val": float(x), "y_val": float(y), "z_val": float(z)}


def vec_to_np(d: Mapping[str, Any]) -> np.ndarray:
    """(3,) float64 from a ``Vector3r`` map; raises ``TypeError`` on a malformed one."""
    try:
        return np.array([float(d["x_val"]), float(d["y_val"]), float(d["z_val"])])
    except (KeyError, TypeError, ValueError) as e:
        raise TypeError(f"expected a Vector3r map with x_val, y_val, z_val, got {d!r}") from e


def quat_to_np(d: Mapping[str, Any]) -> np.ndarray:
    """(4,) float64 ``(w, x, y, z)`` from a ``Quaternionr`` map."""
    try:
        return np.array([float(d["w_val"]), float(d["x_val"]), float(d["y_val"]), float(d["z_val"])])
    except (KeyError, TypeError, ValueError) as e:
        raise TypeError(f"expected a Quaternionr map with w_val, x_val, y_val, z_val, got {d!r}") from e


def flu_to_ned(v: Sequence[float] | np.ndarray) -> np.ndarray:
    """A plansight (z up) vector in NED/FRD; the map is its own inverse."""
    return F @ np.asarray(v, dtype=np.float64)


ned_to_flu = flu_to_ned


def quat_flu_to_ned(q: Sequence[float] | np.ndarray) -> np.ndarray:
    """Body-to-world quaternion ``(w, x, y, z)`` in plansight frames → the same attitude in NED/FRD."""
    w, x, y, z = (float(a) for a in q)
    return np.array([w, x, -y, -z])


quat_ned_to_flu = quat_flu_to_ned


def yaw_flu_to_ned(yaw: float) -> float:
    """Counter-clockwise yaw about z up (radians) → AirSim yaw, clockwise about z down (radians)."""
    return -yaw


def quat_from_rpy(roll: float, pitch: float, yaw: float) -> np.ndarray:
    """``(w, x, y, z)`` of R = Rz(yaw)·Ry(pitch)·Rx(roll)."""
    cr, sr = math.cos(roll / 2), math.sin(roll / 2)
    cp, sp = math.cos(pitch / 2), math.sin(pitch / 2)
    cy, sy = math.cos(yaw / 2), math.sin(yaw / 2)
    return np.array([cr * cp * cy + sr * sp * sy, sr * cp * cy - cr * sp * sy,
                     cr * sp * cy + sr * cp * sy, cr * cp * sy - sr * sp * cy])


def rpy_from_quat(q: Sequence[float] | np.ndarray) -> tuple[float, float, float]:
    """Roll, pitch, yaw (Z-Y-X) in radians of a ``(w, x, y, z)`` quaternion."""
    w, x, y, z = (float(a) for a in q)
    roll = math.atan2(2.0 * (w * x + y * z), 1.0 - 2.0 * (x * x + y * y))
    pitch = math.asin(max(-1.0, min(1.0, 2.0 * (w * y - z * x))))
    yaw = math.atan2(2.0 * (w * z + x * y), 1.0 - 2.0 * (y * y + z * z))
    return roll, pitch, yaw


def quat_to_matrix(q: Sequence[float] | np.ndarray) -> np.ndarray:
    """3×3 rotation matrix of a unit quaternion ``(w, x, y, z)``."""
    w, x, y, z = (float(a) for a in q)
    return np.array([
        [1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)],
        [2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)],
        [2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)],
    ])


def matrix_to_quat(R: np.ndarray) -> np.ndarray:
    """Unit quaternion ``(w, x, y, z)`` with ``w >= 0`` of a 3×3 rotation matrix."""
    m = np.asarray(R, dtype=np.float64)
    t = np.trace(m)
    if t > 0:
        s = 2.0 * math.sqrt(t + 1.0)
        q = [0.25 * s, (m[2, 1] - m[1, 2]) / s, (m[0, 2] - m[2, 0]) / s, (m[1, 0] - m[0, 1]) / s]
    else:
        i = int(np.argmax(np.diag(m)))
        j, k = (i + 1) % 3, (i + 2) % 3
        s = 2.0 * math.sqrt(max(1.0 + m[i, i] - m[j, j] - m[k, k], 1e-12))
        q = [0.0, 0.0, 0.0, 0.0]
        q[0] = (m[k, j] - m[j, k]) / s
        q[1 + i] = 0.25 * s
        q[1 + j] = (m[j, i] + m[i, j]) / s
        q[1 + k] = (m[k, i] + m[i, k]) / s
    out = np.array(q)
    out /= np.linalg.norm(out)
    return out if out[0] >= 0 else -out


def T_body_cam_from_airsim(position_frd: np.ndarray, q_frd: np.ndarray) -> np.ndarray:
    """4×4 plansight ``T_body_cam`` (OpenCV camera → FLU body) from an AirSim camera pose in the body FRD
    frame (position in metres, orientation of the AirSim camera frame, x along the optical axis)."""
    T = np.eye(4)
    T[:3, :3] = F @ quat_to_matrix(q_frd) @ P_AIRSIM_FROM_CV
    T[:3, 3] = F @ np.asarray(position_frd, dtype=np.float64)
    return T


def airsim_pose_from_T_body_cam(T: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Inverse of ``T_body_cam_from_airsim``: (position FRD, quaternion of the AirSim camera in FRD)."""
    R = F @ np.asarray(T)[:3, :3] @ P_AIRSIM_FROM_CV.T
    return F @ np.asarray(T)[:3, 3], matrix_to_quat(R)
