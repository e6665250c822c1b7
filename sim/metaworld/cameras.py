"""Meta-World camera models: intrinsics and extrinsics from MuJoCo, and the upright fix of ``corner``.

MuJoCo cameras look along their -z axis with +y up; plansight's camera frame is OpenCV's (x right,
y down, z forward), so ``R_world_cv = cam_xmat · diag(1, -1, -1)``. The ``corner`` camera's image comes
out rolled by 180°; the adapter rotates the image by 180° (``img[::-1, ::-1]``, not a flip) and, to
keep the geometry true, rotates the camera frame by 180° about its optical axis
(``R · diag(-1, -1, 1)``). With the principal point at the image centre the intrinsics are unchanged.
"""

from __future__ import annotations

import math

import mujoco
import numpy as np

from plansight.agent.contracts import CameraModel

ROTATED_180: frozenset[str] = frozenset({"corner"})
"""Cameras whose MuJoCo image is upside down (rolled 180°)."""

_MJ_TO_CV = np.diag([1.0, -1.0, -1.0])
_ROT_Z_180 = np.diag([-1.0, -1.0, 1.0])


def camera_model(model: mujoco.MjModel, data: mujoco.MjData, name: str, width: int, height: int) -> CameraModel:
    """The pinhole model of camera ``name`` at the current pose (``mj_forward`` must have run).

    ``T_body_cam`` is the 4×4 transform from the camera frame (OpenCV) to the Meta-World world frame
    (the arm's base frame; metres). Focal length from MuJoCo's vertical field of view:
    f = (H/2) / tan(fovy/2); principal point at the image centre ((W-1)/2, (H-1)/2) in pixel indices.
    """
    cid = model.camera(name).id
    R = data.cam_xmat[cid].reshape(3, 3) @ _MJ_TO_CV
    if name in ROTATED_180:
        R = R @ _ROT_Z_180
    T = np.eye(4)
    T[:3, :3] = R
    T[:3, 3] = data.cam_xpos[cid]
    f = (height / 2.0) / math.tan(math.radians(float(model.cam_fovy[cid])) / 2.0)
    return CameraModel(name=name, width=width, height=height, fx=f, fy=f, cx=(width - 1) / 2.0,
                       cy=(height - 1) / 2.0, T_body_cam=T)


def upright(name: str, image: np.ndarray) -> np.ndarray:
    """The image (H×W or H×W×C) of camera ``name`` turned upright: rotated 180° for ``corner``, else as is."""
    return np.ascontiguousarray(image[::-1, ::-1]) if name in ROTATED_180 else image
