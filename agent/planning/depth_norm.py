"""Depth as a video model's fourth channel: log-depth between a near and a far plane, in [−1, 1].

    z = 2 · (ln d − ln near) / (ln far − ln near) − 1,   d = exp(ln near + (z + 1)/2 · (ln far − ln near))

``d`` is metric planar depth in metres (the renderer's and ``VideoPlan.depth``'s unit), clipped to
[near, far] before encoding; non-finite depth (no surface) encodes as ``far``. Log spacing gives a
constant relative resolution: one unit of z is the same fraction of depth at 0.5 m as at 3 m, which is
what the executor's 3-D fit needs (its errors scale with depth). The planes live in the model's config, so a
checkpoint decodes its own depth.
"""

from __future__ import annotations

import numpy as np
import torch


def _span(near: float, far: float) -> tuple[float, float]:
    if not (0.0 < near < far):
        raise ValueError(f"depth planes must satisfy 0 < near < far, got near={near}, far={far}")
    return float(np.log(near)), float(np.log(far) - np.log(near))


def encode_depth(depth_m: np.ndarray | torch.Tensor, near: float, far: float) -> torch.Tensor:
    """Depth (…) in metres → float tensor (…) in [−1, 1]."""
    lo, span = _span(near, far)
    d = torch.as_tensor(np.asarray(depth_m, dtype=np.float32)) if isinstance(depth_m, np.ndarray) else depth_m.float()
    d = torch.nan_to_num(d, nan=far, posinf=far, neginf=near).clamp(near, far)
    return (d.log() - lo).div(span).mul(2.0).sub(1.0)


def decode_depth(z: torch.Tensor, near: float, far: float) -> torch.Tensor:
    """Tensor (…) in [−1, 1] (clamped) → depth (…) in metres, in [near, far]."""
    lo, span = _span(near, far)
    return torch.exp(lo + (z.float().clamp(-1.0, 1.0) + 1.0) * 0.5 * span)
