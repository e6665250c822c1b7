"""Standard depth-error measures (Eigen et al.): AbsRel, RMSE and the δ < 1.25 accuracy.

All take an estimate and a reference in metres (H×W or any matching shape) and a boolean mask of
pixels to score. No median scaling: plansight's depths are metric.
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
