"""``plansight eval-depth``: score monocular and stereo depth against ground truth in unseen rooms.

For each held-out room seed the simulated drone flies the stereo avoidance mission and every
``every``-th frame is scored: mono vs ground truth (all pixels, and on stereo-valid pixels only, for a
like-for-like comparison) and stereo SGBM vs ground truth on its valid pixels. Measures: AbsRel,
RMSE, δ < 1.25, averaged over frames: metric (both cues are metric), and per-frame scale-aligned as relative-depth
papers report (median scaling; MiDaS scale and shift in inverse depth). Ground truth
outside [``min_depth_m``, ``max_depth_m``] is ignored: 0.25 m is the nearest depth the stereo rig can
measure (fx·B / 32 disparities), and pixels nearer than that (the drone brushing a wall) would
otherwise dominate a relative error.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from plansight.agent.contracts import DepthEstimate, Observation
from plansight.agent.control.avoidance import AvoidanceConfig, ReactiveAvoidance
from plansight.agent.learning.online_depth import predict_depth
from plansight.agent.perception.depth_metrics import align_median, align_scale_shift_inverse, depth_errors
from plansight.agent.perception.mono_net import load_mono_net
from plansight.agent.perception.stereo import SgbmStereoDepth, StereoConfig
from plansight.sim.drone.config_drone import DroneSimConfig, StereoRigConfig
from plansight.sim.drone.drone_sim import DroneSim

log = logging.getLogger(__name__)

ROWS = ("mono", "mono_on_stereo_valid", "stereo", "mono_median_aligned", "stereo_median_aligned",
        "mono_scale_shift_aligned", "stereo_scale_shift_aligned")
"""Result rows: metric mono (all in-range pixels, and stereo-valid ones), metric stereo (its valid pixels), and each
cue aligned to the ground truth per frame (median scaling; MiDaS least-squares scale and shift in inverse depth)."""

BANDS_M = (0.25, 1.0, 2.0, 4.0, 8.0)
"""Ground-truth depth bands (m) of the per-range AbsRel (pixel-weighted within a band)."""

BLOCK_FRAMES = 10
"""Bootstrap block: this many consecutive scored frames of one room (2 s of flight at the defaults): frames a few
tenths of a second apart are not independent, so the interval resamples blocks, not frames."""


def ratio_interval(mono: np.ndarray, stereo: np.ndarray, room: np.ndarray, block: int = BLOCK_FRAMES,
                   resamples: int = 2000, seed: int = 0) -> tuple[float, float]:
    """95 % block-bootstrap interval of mean(mono) / mean(stereo), per-frame AbsRel pairs (NaN where a frame has
    no score), resampling blocks of ``block`` consecutive frames within each room (``room``: the frame's room)."""
    blocks = []
    for r in np.unique(room):
        idx = np.flatnonzero(room == r)
        blocks += [idx[i:i + block] for i in range(0, len(idx), block)]
    rng = np.random.default_rng(seed)
    ratios = []
    for _ in range(resamples):
        pick = np.concatenate([blocks[i] for i in rng.integers(0, len(blocks), len(blocks))])
        ratios.append(np.nanmean(mono[pick]) / np.nanmean(stereo[pick]))
    lo, hi = np.nanpercentile(ratios, [2.5, 97.5])
    return float(lo), float(hi)


def held_out_frames(rooms: Sequence[int], seconds: float, every: int, width: int, height: int
                    ) -> list[tuple[Observation, DepthEstimate, int]]:
    """Frames, with the stereo estimate the flight used and the room's seed, from stereo-avoidance flights in rooms
    ``rooms`` (layout seeds)."""
    frames = []
    for seed in rooms:
        sim = DroneSim(DroneSimConfig(camera=StereoRigConfig(width=width, height=height)))
        try:
            sim.reset(seed)
            sim.takeoff()
            cam = sim.cameras["left"]
            stereo, policy = SgbmStereoDepth(StereoConfig(), cam), ReactiveAvoidance(AvoidanceConfig(), cam)
            for k in range(round(seconds / sim.dt)):
                obs = sim.observe()
                st = stereo.estimate(obs)
                sim.act(policy.act(obs, st))
                if k % every == 0:
                    frames.append((obs, st, seed))
        finally:
            sim.close()
    return frames


def eval_depth(checkpoint: Path, rooms: Sequence[int], seconds: float = 20.0, every: int = 10,
               min_depth_m: float = 0.25, max_depth_m: float = 8.0,
               on_frame: Callable[[int, int], None] | None = None) -> dict:
    """Mean per-frame errors of mono and stereo; see the module docstring."""
    net, meta = load_mono_net(checkpoint)
    net_cfg = net.cfg
    frames = held_out_frames(rooms, seconds, every, net_cfg.width, net_cfg.height)
    rows: dict[str, list[dict]] = {name: [] for name in ROWS}
    per_frame = {name: np.full(len(frames), np.nan) for name in ROWS}
    bands = {name: [np.zeros(2) for _ in BANDS_M[1:]] for name in ("mono", "stereo")}
    for i, (obs, st, _) in enumerate(frames):
        gt = obs.depth["left"]
        in_range = (gt >= min_depth_m) & (gt < max_depth_m)
        mono, _ = predict_depth(net, obs.images["left"])
        sv = in_range & st.valid
        for name, est, mask in (("mono", mono, in_range), ("mono_on_stereo_valid", mono, sv),
                                ("stereo", st.depth, sv),
                                ("mono_median_aligned", align_median(mono, gt, in_range), in_range),
                                ("stereo_median_aligned", align_median(st.depth, gt, sv), sv),
                                ("mono_scale_shift_aligned", align_scale_shift_inverse(mono, gt, in_range, max_depth_m),
                                 in_range),
                                ("stereo_scale_shift_aligned", align_scale_shift_inverse(st.depth, gt, sv, max_depth_m),
                                 sv)):
            err = depth_errors(est, gt, mask)
            if err is not None:
                rows[name].append(err)
                per_frame[name][i] = err["abs_rel"]
        for name, est, mask in (("mono", mono, in_range), ("stereo", st.depth, sv)):
            for band, (lo, hi) in enumerate(zip(BANDS_M[:-1], BANDS_M[1:], strict=True)):
                b = mask & (gt >= lo) & (gt < hi) & (est > 0)
                bands[name][band] += (float(np.sum(np.abs(est[b] - gt[b]) / gt[b])), int(b.sum()))
        if on_frame is not None:
            on_frame(i + 1, len(frames))
    result = {"checkpoint": str(checkpoint), "train_step": meta["step"], "rooms": list(rooms), "frames": len(frames),
              "depth_range_m": [min_depth_m, max_depth_m]}
    for name, errs in rows.items():
        result[name] = {k: float(np.mean([e[k] for e in errs])) for k in ("abs_rel", "rmse_m", "delta_1.25")}
        result[name]["abs_rel_median_frame"] = float(np.median([e["abs_rel"] for e in errs]))
        result[name]["coverage"] = float(np.mean([e["pixels"] for e in errs]) / (net_cfg.width * net_cfg.height))
    result["abs_rel_by_range"] = {
        name: {f"{lo:g}-{hi:g} m": {"abs_rel": float(v[0] / v[1]) if v[1] else None, "pixels": int(v[1])}
               for lo, hi, v in zip(BANDS_M[:-1], BANDS_M[1:], acc, strict=True)} for name, acc in bands.items()}
    result["mono_to_stereo_abs_rel_ratio"] = result["mono"]["abs_rel"] / result["stereo"]["abs_rel"]
    result["aligned_mono_to_stereo_abs_rel_ratio"] = (result["mono_scale_shift_aligned"]["abs_rel"]
                                                      / result["stereo_scale_shift_aligned"]["abs_rel"])
    room = np.array([seed for _, _, seed in frames])
    result["ratio_ci95"] = {"method": f"bootstrap over blocks of {BLOCK_FRAMES} consecutive frames of a room, 2000 "
                                      "resamples",
                            "metric": ratio_interval(per_frame["mono"], per_frame["stereo"], room),
                            "aligned": ratio_interval(per_frame["mono_scale_shift_aligned"],
                                                      per_frame["stereo_scale_shift_aligned"], room)}
    return result
