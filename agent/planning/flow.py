"""Dense optical flow between consecutive plan frames (OpenCV), and moving points through it.

Flow backends are registered by name in ``FLOW`` (``dis``: OpenCV's DIS, ``farneback``); each maps two
H×W×3 uint8 RGB frames to an H×W×2 float32 field (du, dv) in pixels such that
``frame_b[v + dv, u + du] ≈ frame_a[v, u]``.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

from plansight.agent.planning.geometry import in_image, sample_bilinear

FlowFn = Callable[[np.ndarray, np.ndarray], np.ndarray]


def _gray(img: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(img, cv2.COLOR_RGB2GRAY) if img.ndim == 3 else img


def dis_flow(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """OpenCV DIS optical flow (preset MEDIUM, variational refinement on)."""
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    return dis.calc(_gray(a), _gray(b), None)


def farneback_flow(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """OpenCV Farneback flow (5 pyramid levels, 15 px window)."""
    return cv2.calcOpticalFlowFarneback(_gray(a), _gray(b), None, pyr_scale=0.5, levels=5, winsize=15,
                                        iterations=5, poly_n=7, poly_sigma=1.5, flags=0)


def dis_flow_2x(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """DIS on frames upsampled 2× (bicubic), flow brought back to the input's pixels: small objects keep enough
    pixels at DIS's coarse pyramid levels (AVDC likewise upsamples for GMFlow). ≈ 4× the cost of ``dis``."""
    up = [cv2.resize(x, None, fx=2.0, fy=2.0, interpolation=cv2.INTER_CUBIC) for x in (a, b)]
    f = dis_flow(*up)
    return cv2.resize(f, (a.shape[1], a.shape[0]), interpolation=cv2.INTER_AREA) / 2.0


FLOW: dict[str, FlowFn] = {"dis": dis_flow, "dis2x": dis_flow_2x, "farneback": farneback_flow}


def flow_fn(name: str) -> FlowFn:
    try:
        return FLOW[name]
    except KeyError:
        raise ValueError(f"unknown flow {name!r}; allowed: {', '.join(FLOW)}") from None


def step_points(a: np.ndarray, b: np.ndarray, uv: np.ndarray, flow: FlowFn, fb_tol_px: float | None = 1.0
                ) -> tuple[np.ndarray, np.ndarray]:
    """Move points (N×2) from frame ``a`` to frame ``b``; returns their new pixels and a (N,) bool of points that
    stayed in the image (and passed the forward-backward check when ``fb_tol_px`` is set)."""
    fwd = flow(a, b)
    bwd = flow(b, a) if fb_tol_px is not None else None
    return move_points(fwd, bwd, uv, fb_tol_px)


def lk_points(a: np.ndarray, b: np.ndarray, uv: np.ndarray, fb_tol_px: float | None = 1.0, win_px: int = 21,
              levels: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """``step_points`` with OpenCV's pyramidal Lucas-Kanade (sparse: each point's own window, ``levels`` pyramid
    levels) instead of a dense field: a small object moving tens of pixels keeps its own texture in the window,
    where a dense field is smoothed into the background around it."""
    H, W = a.shape[:2]
    ga, gb = _gray(a), _gray(b)
    p0 = np.ascontiguousarray(uv, dtype=np.float32).reshape(-1, 1, 2)
    lk = dict(winSize=(win_px, win_px), maxLevel=levels)
    p1, st, _ = cv2.calcOpticalFlowPyrLK(ga, gb, p0, None, **lk)
    uv_b = p1.reshape(-1, 2).astype(np.float64)
    ok = (st.ravel() == 1) & in_image(uv, W, H) & in_image(uv_b, W, H)
    if fb_tol_px is not None:
        pb, stb, _ = cv2.calcOpticalFlowPyrLK(gb, ga, p1, None, **lk)
        ok &= (stb.ravel() == 1) & (np.linalg.norm(pb.reshape(-1, 2) - uv, axis=1) <= fb_tol_px)
    return uv_b, ok


def move_points(fwd: np.ndarray, bwd: np.ndarray | None, uv: np.ndarray, fb_tol_px: float | None = 1.0
                ) -> tuple[np.ndarray, np.ndarray]:
    """``step_points`` with the H×W×2 forward (and backward, for the check) fields already computed, so several
    point sets can share one flow computation."""
    H, W = fwd.shape[:2]
    ok = in_image(uv, W, H)
    uv_b = uv + sample_bilinear(fwd, uv)
    ok &= in_image(uv_b, W, H)
    if fb_tol_px is not None:
        if bwd is None:
            raise ValueError("the forward-backward check needs the backward flow field")
        back = uv_b + sample_bilinear(bwd, uv_b)
        ok &= np.linalg.norm(back - uv, axis=1) <= fb_tol_px
    return uv_b, ok
