"""Offscreen rendering of RGB and planar depth for named cameras, tuned for speed on llvmpipe.

Shadows, reflections and the skybox are switched off per frame (≈ 10× faster on CPU Mesa; see
drone_simulation.md §2.3). One GL context serves RGB, a second one depth.
"""

from __future__ import annotations

import mujoco
import numpy as np

_OFF_FLAGS = (mujoco.mjtRndFlag.mjRND_SHADOW, mujoco.mjtRndFlag.mjRND_REFLECTION,
              mujoco.mjtRndFlag.mjRND_SKYBOX)


class CameraRenderer:
    """Renders ``height``×``width`` images from the model's cameras.

    Args:
        model: the compiled model (textures already painted: they upload at construction).
        width, height: image size in pixels.
        depth: also create a depth context.
    """

    def __init__(self, model: mujoco.MjModel, width: int, height: int, depth: bool = True) -> None:
        self._rgb = mujoco.Renderer(model, height=height, width=width)
        self._depth: mujoco.Renderer | None = None
        if depth:
            self._depth = mujoco.Renderer(model, height=height, width=width)
            self._depth.enable_depth_rendering()

    def _update(self, r: mujoco.Renderer, data: mujoco.MjData, camera: str) -> None:
        r.update_scene(data, camera=camera)
        for f in _OFF_FLAGS:
            r.scene.flags[f] = 0

    def rgb(self, data: mujoco.MjData, camera: str) -> np.ndarray:
        """H×W×3 uint8 RGB image from ``camera``."""
        self._update(self._rgb, data, camera)
        return self._rgb.render().copy()

    def depth(self, data: mujoco.MjData, camera: str) -> np.ndarray:
        """H×W float32 planar depth (distance along the optical axis) in metres."""
        if self._depth is None:
            raise RuntimeError("renderer was created without depth")
        self._update(self._depth, data, camera)
        return self._depth.render().astype(np.float32, copy=True)

    def close(self) -> None:
        for r in (self._rgb, self._depth):
            if r is not None:
                r.close()
        self._depth = None
