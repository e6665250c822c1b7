"""RGB frames between numpy and torch: (…, H, W, 3) uint8 ↔ (…, 3, H, W) float32 in [−1, 1], the range every
image network here reads (video diffusion, ACT-JEPA)."""

from __future__ import annotations

import numpy as np
import torch


def to_tensor(frames: np.ndarray) -> torch.Tensor:
    """(…, H, W, 3) uint8 → (…, 3, H, W) float in [−1, 1]."""
    x = torch.from_numpy(np.ascontiguousarray(frames)).float().div_(127.5).sub_(1.0)
    return x.movedim(-1, -3)


def to_frames(x: torch.Tensor) -> np.ndarray:
    """(…, 3, H, W) float in [−1, 1] → (…, H, W, 3) uint8."""
    return ((x.clamp(-1, 1) + 1.0) * 127.5).round().to(torch.uint8).movedim(-3, -1).cpu().numpy()
