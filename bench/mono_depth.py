"""Offline-trained monocular depth against its stereo teacher: the ablation on validation rooms, and the shipped
weights on held-out rooms.

Two records:

* ``mono_depth_ablation``: ``eval-depth`` of each candidate checkpoint (``--candidate NAME=PATH``, trained by
  ``plansight retrain-depth``) on validation rooms (default 900–904: never the held-out 1000–1019). The winner is
  chosen here, and only here.
* ``mono_depth``: the shipped ``builtin:mono_depth_room`` (and, with ``--baseline NAME=PATH``, the weights it
  replaced) on held-out rooms 1000–1004, once; plus its inference rate (batch 1, 128×96, median of 5).
* ``mono_depth_stability`` (``--stability``): one persistent-SSL flight of ``--minutes`` (30) simulated minutes in
  held-out room 1010, mono flying with stereo overrides and learning online from the shipped weights: mono's AbsRel
  against ground truth per minute, and whether the last 5 minutes are no worse than minutes 5–10 (no
  feedback-induced collapse).

Both report metric AbsRel (mean of frames), scale-and-shift aligned AbsRel (MiDaS's least squares in inverse depth,
per frame), RMSE, δ<1.25, AbsRel by ground-truth band, and the mono/stereo ratio with a 95 % block-bootstrap
interval (``launch/eval_depth.py``).

    python -m bench.mono_depth --ablation --candidate nll=runs/mono/nll12k/depth.safetensors ...
    python -m bench.mono_depth --baseline v1=runs/mono/shipped_v1.safetensors
    python -m bench.mono_depth --stability --minutes 30
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch

from bench import common, persistent_ssl
from bench.common import ROOT, record
from plansight.agent.learning.checkpoint import read_meta
from plansight.agent.perception.mono_net import count_parameters, load_mono_net
from plansight.agent.shared.builtin import resolve_model
from plansight.agent.shared.ranges import parse_ints
from plansight.launch.collect_depth import HELD_OUT_ROOMS
from plansight.launch.eval_depth import BANDS_M, eval_depth
from plansight.launch.mission import load_mission
from plansight.launch.runner import fly

log = logging.getLogger(__name__)

HELD_OUT = HELD_OUT_ROOMS
SHIPPED = "builtin:mono_depth_room"


def inference_rate(checkpoint: Path, frames: int = 300, threads: int | None = None) -> float:
    """Frames/s of the checkpoint's network (``persistent_ssl.inference_rate``) on ``threads`` torch threads (None:
    torch's default, one per core)."""
    if threads is not None:
        torch.set_num_threads(threads)
    return persistent_ssl.inference_rate(frames, load_mono_net(checkpoint)[0])


def _summary(checkpoint: Path, rooms: list[int]) -> dict:
    """eval-depth figures plus what the checkpoint says about its training."""
    ev = eval_depth(checkpoint, rooms)
    meta = read_meta(checkpoint)
    net, _ = load_mono_net(checkpoint)
    return {"checkpoint": str(checkpoint), "train_step": meta["step"], "config": meta["config"],
            "extra": meta.get("extra", {}), "parameters": count_parameters(net), "eval": ev}


def _table(rows: dict[str, dict]) -> str:
    bands = [f"{lo:g}-{hi:g} m" for lo, hi in zip(BANDS_M[:-1], BANDS_M[1:], strict=True)]
    head = ("| Depth | Steps | Params | AbsRel metric | AbsRel aligned | RMSE (m) | δ<1.25 | "
            + " | ".join(f"AbsRel {b}" for b in bands) + " | Mono/stereo metric (95 %) | aligned (95 %) |")
    lines = [head, "|" + "---|" * (9 + len(bands))]
    stereo = None
    for name, r in rows.items():
        ev = r["eval"]
        m, a = ev["mono"], ev["mono_scale_shift_aligned"]
        by = ev["abs_rel_by_range"]["mono"]
        ci = ev["ratio_ci95"]
        lines.append(f"| {name} | {r['train_step']} | {r['parameters'] / 1e6:.2f} M | **{m['abs_rel']:.4f}** | "
                     f"{a['abs_rel']:.4f} | {m['rmse_m']:.3f} | {m['delta_1.25']:.3f} | "
                     + " | ".join(f"{by[b]['abs_rel']:.3f}" for b in bands)
                     + f" | **{ev['mono_to_stereo_abs_rel_ratio']:.2f}** ({ci['metric'][0]:.2f}–{ci['metric'][1]:.2f}) "
                     f"| {ev['aligned_mono_to_stereo_abs_rel_ratio']:.2f} ({ci['aligned'][0]:.2f}–{ci['aligned'][1]:.2f}) |")
        stereo = ev
    if stereo is not None:  # stereo is the same in every row (same rooms, same flights)
        s, a = stereo["stereo"], stereo["stereo_scale_shift_aligned"]
        by = stereo["abs_rel_by_range"]["stereo"]
        lines.append(f"| stereo SGBM (teacher) | – | – | {s['abs_rel']:.4f} | {a['abs_rel']:.4f} | {s['rmse_m']:.3f} | "
                     f"{s['delta_1.25']:.3f} | " + " | ".join(f"{by[b]['abs_rel']:.3f}" for b in bands) + " | 1 | 1 |")
    return "\n".join(lines)


def _training(r: dict) -> str:
    net = r["config"]["net"]
    text = f"channels {net['channels']}, {r['train_step']} steps"
    if r.get("extra", {}).get("trained_by"):
        text += f", trained by `{r['extra']['trained_by']}`"
    lc = r["config"].get("learner")
    if lc is None:  # checkpoints written before the learner's settings were saved with it
        return text + ", training settings not recorded in the checkpoint"
    return text + f", loss {lc['loss']}, lr {lc['learning_rate']:g}, batch {lc['batch_size']}"


def ablation(candidates: dict[str, Path], rooms: list[int]) -> dict:
    """Score every candidate on validation rooms; record ``mono_depth_ablation``."""
    if set(rooms) & set(HELD_OUT):
        raise ValueError(f"validation rooms {rooms} overlap the held-out rooms 1000-1019")
    rows = {}
    for name, path in candidates.items():
        rows[name] = _summary(path, rooms)
        log.info("%s: AbsRel %.4f, ratio %.2f", name, rows[name]["eval"]["mono"]["abs_rel"],
                 rows[name]["eval"]["mono_to_stereo_abs_rel_ratio"])
    best = min(rows, key=lambda k: rows[k]["eval"]["mono"]["abs_rel"])
    figures = {"rooms": rooms, "candidates": rows, "best_by_metric_abs_rel": best}
    frames = next(iter(rows.values()))["eval"]["frames"]
    training = "\n".join(f"- {k}: {_training(r)}" for k, r in rows.items())
    md = f"""## Mono depth: ablation on validation rooms

`eval-depth` (20 s stereo-avoidance flight per room, every 10th frame scored: {frames} frames, ground truth
0.25–8 m) on **validation rooms {rooms[0]}–{rooms[-1]}** (never the held-out 1000–1019). Candidates trained by
`plansight retrain-depth` on `plansight collect depth` data (training rooms only):
{training}

{_table(rows)}

Lowest metric AbsRel: **{best}**. "Aligned" is MiDaS's per-frame least-squares scale and shift in inverse depth; the
interval resamples blocks of 10 consecutive frames (2 s) of a room."""
    record("mono_depth_ablation", figures, md)
    return figures


def run(baselines: dict[str, Path] | None = None, rooms: list[int] | None = None, threads: int | None = None) -> dict:
    """The shipped weights (and ``baselines``) on held-out rooms; record ``mono_depth``."""
    rooms = rooms or list(range(1000, 1005))
    if not set(rooms) <= set(HELD_OUT):
        raise ValueError(f"rooms {rooms} are not held-out rooms (1000-1019)")
    shipped = resolve_model(SHIPPED)
    rows = {name: _summary(path, rooms) for name, path in (baselines or {}).items()}
    rows["shipped (builtin:mono_depth_room)"] = _summary(shipped, rooms)
    fps = inference_rate(shipped, threads=threads)
    threads = torch.get_num_threads()
    ship = rows["shipped (builtin:mono_depth_room)"]
    ev, net = ship["eval"], ship["config"]["net"]
    figures = {"rooms": rooms, "rows": rows, "mono_inference_fps_batch1_median": round(fps, 1),
               "mono_inference_threads": threads,
               "target_ratio": 1.1, "mono_to_stereo_abs_rel_ratio": ev["mono_to_stereo_abs_rel_ratio"],
               "ratio_ci95": ev["ratio_ci95"]}
    met = "meets" if ev["ratio_ci95"]["metric"][1] <= 1.1 else "does not meet"
    md = f"""## Mono depth: shipped weights on held-out rooms

`builtin:mono_depth_room` ({_training(ship)}), `eval-depth` on **held-out rooms
{rooms[0]}–{rooms[-1]}** ({ev['frames']} frames of 20 s stereo-avoidance flights, ground truth 0.25–8 m):

{_table(rows)}

Mono/stereo metric AbsRel ratio **{ev['mono_to_stereo_abs_rel_ratio']:.2f}**: {met} the target of ≤ 1.1. Inference,
batch 1, {net['width']}×{net['height']}, {threads} torch thread{'s' if threads > 1 else ''} (median of 5): **{fps:.0f} frames/s** (target ≥ 300)."""
    record("mono_depth", figures, md)
    return figures


def stability(minutes: float = 30.0, room: int = 1010, strategy: str = "persistent") -> dict:
    """One long persistent-SSL flight from the shipped weights; record ``mono_depth_stability``."""
    if minutes < 15:
        raise ValueError(f"{minutes:g} minutes: the comparison needs minutes 5-10 and the last 5 after them (≥ 15)")
    start = resolve_model(SHIPPED)
    start_id = {"path": SHIPPED, "step": read_meta(start)["step"],
                "sha256": hashlib.sha256(start.read_bytes()).hexdigest()}
    with tempfile.TemporaryDirectory() as tmp:
        m = load_mission(ROOT / "launch/missions/drone_room_persistent.yaml", {
            "seed": room, "duration_s": minutes * 60.0, "name": f"ssl_stability_{room}",
            "record": {"video": False, "dataset": False},
            "perception": {"type": "persistent_ssl", "init_checkpoint": str(start),
                           "switch": {"strategy": strategy}}})
        res = fly(m, Path(tmp))
        metrics = dict(res.metrics)
    per_min = metrics.get("mono_depth_abs_rel_by_minute") or []
    n = int(minutes)

    def window(lo: int, hi: int) -> float | None:
        vals = [v for v in per_min[lo:hi] if v is not None]
        return float(np.mean(vals)) if vals else None

    early, late = window(5, 10), window(n - 5, n)
    stable = early is not None and late is not None and late <= early
    figures = {"room": room, "minutes": minutes, "strategy": strategy, "status": metrics.get("status"),
               "start_checkpoint": start_id,
               "mono_abs_rel_by_minute": per_min, "stereo_abs_rel_by_minute": metrics.get(
                   "stereo_depth_abs_rel_by_minute"), "minutes_5_10": early, "last_5_minutes": late,
               "stable": stable, **{k: metrics.get(k) for k in (
                   "distance_flown_m", "collisions", "train_steps", "stereo_overrides", "mono_flight_fraction",
                   "mono_depth_abs_rel", "stereo_depth_abs_rel")}}
    curve = ", ".join("–" if v is None else f"{v:.3f}" for v in per_min)
    md = f"""## Mono depth: {minutes:g}-minute persistent-SSL flight (feedback stability)

`drone_room_persistent.yaml`, strategy `{strategy}` (mono flies, stereo overrides imminent collisions mono missed),
held-out room {room}, {minutes:g} simulated minutes, learning online (lockstep, 5 steps per simulated second) from
`builtin:mono_depth_room` as of step {start_id['step']} (sha256 {start_id['sha256'][:12]}). Status {metrics.get('status')}; {metrics.get('distance_flown_m', 0):.0f} m flown,
{metrics.get('collisions')} collisions, {metrics.get('stereo_overrides')} stereo overrides, mono flew
{100 * (metrics.get('mono_flight_fraction') or 0):.0f} % of frames, {metrics.get('train_steps')} optimiser steps.

Mono AbsRel against ground truth, minutes 5–10: **{early if early is None else round(early, 4)}**; last 5 minutes:
**{late if late is None else round(late, 4)}** → {'no collapse (last 5 ≤ minutes 5–10)' if stable else 'worse at the end'}.

Per minute: {curve}."""
    record("mono_depth_stability", figures, md)
    return figures


def _named(items: list[str], flag: str) -> dict[str, Path]:
    out = {}
    for item in items:
        name, sep, path = item.partition("=")
        if not sep or not name or not path:
            raise SystemExit(f"{flag}: {item!r} is not NAME=PATH")
        out[name] = resolve_model(path)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ablation", action="store_true", help="score --candidate checkpoints on validation rooms")
    ap.add_argument("--candidate", action="append", default=[], help="NAME=PATH (ablation)")
    ap.add_argument("--rooms", default=None, help="room seeds (ablation default 900-904, held-out default 1000-1004)")
    ap.add_argument("--baseline", action="append", default=[], help="NAME=PATH scored beside the shipped weights")
    ap.add_argument("--stability", action="store_true", help="the long persistent-SSL flight")
    ap.add_argument("--minutes", type=float, default=30.0, help="stability: simulated minutes")
    ap.add_argument("--threads", type=int, default=None, help="torch threads for the inference rate (default: torch's)")
    ap.add_argument("--record", action="store_true", help="update bench/results and BENCHMARKS.md")
    args = ap.parse_args()
    common.RECORD = args.record
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    rooms = parse_ints(args.rooms, "rooms", bare_is_count=False) if args.rooms else None
    try:
        if args.stability:
            stability(args.minutes)
        elif args.ablation:
            ablation(_named(args.candidate, "--candidate"), list(rooms or range(900, 905)))
        else:
            run(_named(args.baseline, "--baseline"), list(rooms) if rooms else None, args.threads)
    except ValueError as e:
        sys.exit(f"bench.mono_depth: {e}")


if __name__ == "__main__":
    main()
