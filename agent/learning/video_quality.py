"""How close a predicted video is to the real one: per-frame PSNR and SSIM (scikit-image) and AVDC's
last-frame MSE.

Inputs are (F, H, W, 3) uint8 frames of the same size; the observed frame is not part of them. For RGB-D
plans, ``depth_metrics`` scores predicted depth (F, H, W) metres against the true future's rendered depth.
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


def depth_metrics(pred: np.ndarray, real: np.ndarray, max_m: float) -> dict[str, list[float] | float]:
    """Per-frame ``abs_rel`` (mean |pred − real| / real) over the pixels whose true depth is in (0, ``max_m``]
    (the scene inside the model's far plane; the background beyond it is left out), and ``abs_rel_mean``."""
    if pred.shape != real.shape or pred.ndim != 3:
        raise ValueError(f"expected two (F, H, W) depth videos of one shape, got {pred.shape} and {real.shape}")
    rel = []
    for p, r in zip(pred.astype(np.float64), real.astype(np.float64), strict=True):
        m = np.isfinite(r) & (r > 0) & (r <= max_m) & np.isfinite(p)
        rel.append(float(np.mean(np.abs(p[m] - r[m]) / r[m])) if m.any() else float("nan"))
    return {"abs_rel": rel, "abs_rel_mean": float(np.nanmean(rel)) if np.isfinite(rel).any() else float("nan")}
