"""Offscreen rendering of RGB and planar depth for named cameras, tuned for speed on llvmpipe.

Shadows, reflections and the skybox are switched off per frame (≈ 10× faster on CPU Mesa; see
drone_simulation.md §2.3). One GL context serves RGB, a second one depth.
"""

from __future__ import annotations

import atexit
import weakref

import mujoco
import numpy as np

_LIVE: weakref.WeakSet = weakref.WeakSet()
_registered = False


def _close_live_renderers() -> None:
    """Close every renderer still open at exit, while EGL is still loaded: a user who never calls ``close`` (or
    ``env.close()``) gets no EGL tracebacks from garbage collection during interpreter teardown."""
    for r in list(_LIVE):
        try:
            r.close()
        except Exception:  # teardown: nothing useful to report
            pass


def close_at_exit(renderer) -> None:
    """Register an object with a ``close()`` that owns GL contexts, to be closed at interpreter exit. Call it after
    the object's first ``mujoco.Renderer`` exists: MuJoCo registers ``eglTerminate`` at exit when it creates its
    first EGL context, and exit handlers run last-registered first, so ours must come after it."""
    global _registered
    _LIVE.add(renderer)
    if not _registered:
        atexit.register(_close_live_renderers)
        _registered = True


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
        close_at_exit(self)

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
        self._rgb = self._depth = None
