"""Standard depth-error measures (Eigen et al.): AbsRel, RMSE and the δ < 1.25 accuracy.

All take an estimate and a reference in metres (H×W or any matching shape) and a boolean mask of
pixels to score. The errors are metric (no scaling); ``align_median`` and ``align_scale_shift_inverse`` give the
scale-aligned figures that relative-depth papers report (Monodepth2 median scaling; MiDaS scale and shift).
"""

from __future__ import annotations

import numpy as np


def abs_rel(est: np.ndarray, ref: np.ndarray, mask: np.ndarray) -> float | None:
    """mean(|est − ref| / ref) over ``mask & ref > 0``; None if no pixel qualifies."""
    m = mask & (ref > 0)
    if not m.any():
        return None
    return float(np.mean(np.abs(est[m] - ref[m]) / ref[m]))


def depth_errors(est: np.ndarray, ref: np.ndarray, mask: np.ndarray) -> dict[str, float] | None:
    """AbsRel, RMSE (m), MAE (m) and δ<1.25 over ``mask & ref > 0 & est > 0``; None if empty."""
    m = mask & (ref > 0) & (est > 0)
    if not m.any():
        return None
    e, r = est[m].astype(np.float64), ref[m].astype(np.float64)
    ratio = np.maximum(e / r, r / e)
    return {"abs_rel": float(np.mean(np.abs(e - r) / r)), "rmse_m": float(np.sqrt(np.mean((e - r) ** 2))),
            "mae_m": float(np.mean(np.abs(e - r))), "delta_1.25": float(np.mean(ratio < 1.25)),
            "pixels": int(m.sum())}


def align_median(est: np.ndarray, ref: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``est`` scaled by median(ref) / median(est) over ``mask`` (Monodepth2's median scaling; Eigen protocol)."""
    m = mask & (ref > 0) & (est > 0)
    if not m.any():
        return est
    return est * (np.median(ref[m]) / np.median(est[m]))


def align_scale_shift_inverse(est: np.ndarray, ref: np.ndarray, mask: np.ndarray, cap_m: float | None = None
                              ) -> np.ndarray:
    """``est`` aligned as MiDaS and Depth-Anything evaluate relative depth: the least-squares scale s and shift t
    with s / est + t ≈ 1 / ref over ``mask`` (in inverse depth, i.e. disparity), then back to depth, capped at
    ``cap_m`` (MiDaS caps at the benchmark's maximum depth). Pixels whose aligned inverse depth is not positive get
    depth 0 (scored as invalid by ``depth_errors``)."""
    m = mask & (ref > 0) & (est > 0)
    if m.sum() < 2:
        return est
    x, y = 1.0 / est[m].astype(np.float64), 1.0 / ref[m].astype(np.float64)
    a = np.stack([x, np.ones_like(x)], axis=1)
    (s, t), *_ = np.linalg.lstsq(a, y, rcond=None)
    inv = s / np.maximum(est.astype(np.float64), 1e-9) + t
    out = np.where(inv > 1e-9, 1.0 / np.maximum(inv, 1e-9), 0.0)
    if cap_m is not None:
        out = np.minimum(out, cap_m)
    return out.astype(np.float32)
