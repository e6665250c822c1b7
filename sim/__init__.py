"""Simulators. Each backend implements the contracts in ``agent.contracts``.

Headless rendering: ``MUJOCO_GL`` is read when mujoco is imported, so it is defaulted here (EGL,
which uses Mesa's llvmpipe on machines without a GPU) before any backend imports mujoco.
"""

import os

os.environ.setdefault("MUJOCO_GL", "egl")
if os.environ["MUJOCO_GL"] in ("egl", "osmesa"):
    os.environ.setdefault("PYOPENGL_PLATFORM", os.environ["MUJOCO_GL"])
