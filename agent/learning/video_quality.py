"""How close a predicted video is to the real one: per-frame PSNR and SSIM (scikit-image) and AVDC's
last-frame MSE.

Inputs are (F, H, W, 3) uint8 frames of the same size; the observed frame is not part of them.
"""

from __future__ import annotations

import numpy as np
from skimage.metrics import peak_signal_noise_ratio, structural_similarity


def video_metrics(pred: np.ndarray, real: np.ndarray) -> dict[str, list[float] | float]:
    """Per-frame ``psnr`` (dB, data range 255) and ``ssim`` (colour, 7×7 window), and ``last_mse``: the mean
    squared error of the last frame on a [0, 1] scale (AVDC's ablation metric)."""
    if pred.shape != real.shape or pred.ndim != 4 or pred.shape[-1] != 3:
        raise ValueError(f"expected two (F, H, W, 3) videos of one shape, got {pred.shape} and {real.shape}")
    with np.errstate(divide="ignore"):  # identical frames: PSNR = inf
        psnr = [float(peak_signal_noise_ratio(r, p, data_range=255)) for p, r in zip(pred, real, strict=True)]
    side = min(7, *pred.shape[1:3])
    win = side if side % 2 else side - 1  # SSIM needs an odd window no larger than the image
    ssim = [float(structural_similarity(r, p, data_range=255, channel_axis=-1, win_size=win))
            for p, r in zip(pred, real, strict=True)]
    diff = (pred[-1].astype(np.float64) - real[-1].astype(np.float64)) / 255.0
    return {"psnr": psnr, "ssim": ssim, "last_mse": float(np.mean(diff ** 2))}
