"""Plan format by measurement (issue 18): the executor's ceiling on oracle plans over resolution × plan frames ×
RGB / RGB-D, beside each cell's training cost for the RGB-D video model.

A cell is the oracle (the scripted expert's real future) degraded to the cell's format: frames area-resized
to WIDTH×HEIGHT and back (``--plan-res``), ``FRAMES`` frames per plan (the observed one included), and for
RGB cells the executor's RGB path (``--executor plan_depth=false``). Its success is what any learned planner
of that format could at best reach with this executor. Episodes: 11 tasks × 3 cameras × the tuning seeds
(100 by default; never the test seeds 0–24), 5 replans, through ``plansight eval metaworld`` into
``runs/plan_format/<cell>/`` (resumable; a complete cell is not rerun).

Training cost: seconds per training step of the RGB-D ``VideoPlanNet`` (the shipped width, batch 8, forward +
backward + Adam, median of 3 after a warm-up, the threads this process has) at the cell's size and
``FRAMES − 1`` predicted frames.

    .venv/bin/python -m bench.plan_format                         # the default grid (CELLS)
    .venv/bin/python -m bench.plan_format --cells rgbd_64x48_8,rgb_64x48_8 --seeds 100-101
    .venv/bin/python -m bench.plan_format --record-only          # tabulate the cells already run
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.common import ROOT, record, wilson

log = logging.getLogger(__name__)

OUT = ROOT / "runs" / "plan_format"
RESOLUTIONS = ("64x48", "96x72", "128x96", "160x120")
REFERENCE = "rgbd_320x240_24"
"""The executor's own format (BENCHMARKS.md, metaworld_oracle): the same oracle undegraded, on the same seeds."""
FRAMES = (8, 12, 16, 24)
CELLS = tuple(f"rgbd_{r}_{f}" for r in RESOLUTIONS for f in FRAMES) + tuple(f"rgb_{r}_8" for r in RESOLUTIONS) + (
    "rgb_64x48_16", REFERENCE)
"""The grid: every RGB-D cell, RGB at 8 frames at every size and at 16 frames at 64×48, and the reference."""
TEST_SEEDS = range(25)


def parse_cell(cell: str) -> tuple[str, int, int, int]:
    """``rgbd_64x48_8`` → ("rgbd", 64, 48, 8); ``ValueError`` naming the cell otherwise."""
    try:
        kind, res, frames = cell.split("_")
        w, h = (int(v) for v in res.split("x"))
        if kind not in ("rgb", "rgbd"):
            raise ValueError
        return kind, w, h, int(frames)
    except ValueError:
        raise ValueError(f"cell {cell!r}: expected rgb|rgbd_WIDTHxHEIGHT_FRAMES, e.g. rgbd_64x48_8") from None


def seeds_arg(seeds: list[int]) -> str:
    """``--seeds`` for ``plansight eval metaworld``: a list, or a one-seed range (a bare ``100`` means seeds 0-99)."""
    return f"{seeds[0]}-{seeds[0]}" if len(seeds) == 1 else ",".join(map(str, seeds))


def counts(setting: dict) -> tuple[int, int]:
    """(successes, episodes) of one replanning setting of an eval summary."""
    c = setting["per_task_counts"].values()
    return sum(v[0] for v in c), sum(v[1] for v in c)


def run_cell(cell: str, seeds: list[int]) -> Path:
    """Run (or resume) one cell's episodes with the eval CLI; its folder."""
    kind, w, h, frames = parse_cell(cell)
    out = OUT / cell
    cmd = [sys.executable, "-m", "plansight.launch.cli", "eval", "metaworld", "--planner", "oracle", "--tasks", "all",
           "--seeds", seeds_arg(seeds), "--replan", "5", "--plan-res", f"{w}x{h}", "--plan-frames", str(frames), "--workers", "1",
           "--videos", "0", "--out", str(out), *(["--executor", "plan_depth=false"] if kind == "rgb" else [])]
    log.info("%s: %s", cell, " ".join(cmd[2:]))
    subprocess.run(cmd, check=True, cwd=ROOT)
    return out


def step_seconds(w: int, h: int, frames: int, repeats: int = 3, batch: int = 8) -> float:
    """Median seconds per RGB-D training step at this size (see the module docstring)."""
    import torch

    from plansight.agent.planning.video_model import VideoPlanNet

    torch.manual_seed(0)
    torch.set_num_threads(1)  # a shared 2-core machine: one thread is the fair and the faster setting
    net = VideoPlanNet(height=h, width=w, n_future=frames - 1, tasks=("a",), depth=True)
    opt = torch.optim.Adam(net.parameters(), 1e-4)
    x, first = torch.randn(batch, 4, frames - 1, h, w), torch.randn(batch, 4, h, w)
    ts, ids = torch.randint(0, 100, (batch,)), torch.zeros(batch, dtype=torch.long)
    times = []
    for k in range(repeats + 1):
        t = time.perf_counter()
        net(x, ts, first, ids).square().mean().backward()
        opt.step()
        opt.zero_grad()
        if k:
            times.append(time.perf_counter() - t)
    return statistics.median(times)


TIMED = ("64x48_8", "96x72_16")
"""Sizes whose training step is timed; the others are scaled from the first by pixels × predicted frames (the
network is convolutional at every level; its one attention level is at 1/16 of the pixels), and the second
checks that scaling."""


def step_costs(rows: list[dict]) -> tuple[dict[str, float], list[str]]:
    """Seconds per training step per size of the measured cells: ``TIMED`` timed (kept in
    runs/plan_format/train_step_s.json, so re-tabulating does not time them again), the rest scaled."""
    cache = OUT / "train_step_s.json"
    timed = json.loads(cache.read_text()) if cache.is_file() else {}
    for key in TIMED:
        if key not in timed:
            w, h = (int(v) for v in key.split("_")[0].split("x"))
            timed[key] = round(step_seconds(w, h, int(key.split("_")[1])), 3)
            log.info("training step at %s: %.2f s", key, timed[key])
            OUT.mkdir(parents=True, exist_ok=True)
            cache.write_text(json.dumps(timed, indent=1))
    base_w, base_h, base_f = 64, 48, 8
    costs = dict(timed)
    for r in rows:
        _, w, h, f = parse_cell(r["cell"])
        key = f"{w}x{h}_{f}"
        if key not in costs and w * h <= 160 * 120:  # larger cells are references, not candidates for a CPU
            costs[key] = round(timed[TIMED[0]] * (w * h * (f - 1)) / (base_w * base_h * (base_f - 1)), 3)
    return costs, list(timed)


def cell_result(cell: str) -> dict | None:
    path = OUT / cell / "summary.json"
    if not path.is_file():
        return None
    s = json.loads(path.read_text())
    r = s["settings"]["replans_5"]
    ok, n = counts(r)
    lo, hi = wilson(ok, n)
    return {"cell": cell, "seeds": s["seeds"], "success": ok, "episodes": n, "rate": ok / n if n else 0.0,
            "wilson_95": [round(lo, 3), round(hi, 3)], "per_task_counts": r["per_task_counts"],
            "errors": r["errors"], "command": s["command"]}


def markdown(rows: list[dict], costs: dict[str, float], measured: list[str] | None = None, goal: float = 0.55) -> str:
    measured = measured or []
    seeds = sorted({s for r in rows for s in r["seeds"]})
    lines = ["## Plan format: the executor's ceiling by resolution, frames and depth (oracle plans)", "",
             f"Oracle plans degraded to each format (bench/plan_format.py), 5 replans, 11 tasks × 3 cameras × tuning "
             f"seeds {', '.join(map(str, seeds))} (never the test seeds 0–24): successes / episodes, 95 % Wilson "
             "interval. Training cost: seconds per step of the RGB-D VideoPlanNet (channels 16/32/64, batch 8, one "
             f"torch thread) at the cell's size and frames on this machine, timed for {', '.join(measured)} and "
             "scaled from the first by pixels × predicted frames for the others (≈).", "",
             "| Plan | Resolution | Frames | Oracle ceiling, 5 replans | s / training step | pick-and-place tasks* |",
             "|---|---|---|---|---|---|"]
    pick = ("basketball", "shelf-place", "hammer", "assembly")
    for r in sorted(rows, key=lambda r: (r["cell"].split("_")[0] != "rgbd", *parse_cell(r["cell"])[1:])):
        kind, w, h, f = parse_cell(r["cell"])
        lo, hi = r["wilson_95"]
        cost = costs.get(f"{w}x{h}_{f}")
        pp = sum(r["per_task_counts"][t][0] for t in pick if t in r["per_task_counts"])
        ppn = sum(r["per_task_counts"][t][1] for t in pick if t in r["per_task_counts"])
        lines.append(f"| {'RGB-D' if kind == 'rgbd' else 'RGB'} | {w}×{h} | {f} | {r['success']}/{r['episodes']} "
                     f"({100 * r['rate']:.1f} %, {100 * lo:.1f}–{100 * hi:.1f}) | "
                     f"{'' if cost is None else ('' if f'{w}x{h}_{f}' in measured else '≈') + f'{cost:.2f}'} | "
                     f"{pp}/{ppn} |")
    missing = [c for c in CELLS if c not in {r["cell"] for r in rows}]
    lines += ["", "*basketball, shelf-place, hammer, assembly: the tasks that carry an object.", ""]
    if len(measured) > 1 and measured[0] in costs:
        w0, h0, f0 = (int(v) for v in measured[0].replace("_", "x").split("x"))
        for key in measured[1:]:
            w, h, f = (int(v) for v in key.replace("_", "x").split("x"))
            scaled = costs[measured[0]] * w * h * (f - 1) / (w0 * h0 * (f0 - 1))
            lines.append(f"Scaling check: {key} timed {costs[key]:.1f} s against {scaled:.1f} s scaled from "
                         f"{measured[0]}; the machine was shared with other runs while timing, so the ≈ figures are "
                         "rough (ratios within a factor of 2).")
    if missing:
        lines.append(f"Not measured yet ({len(missing)} of {len(CELLS)} grid cells): {', '.join(missing)}. "
                     "Run them with `python -m bench.plan_format --cells …`.")
    ok = [r for r in rows if r["wilson_95"][0] >= goal and costs.get("{1}x{2}_{3}".format(*parse_cell(r["cell"])))]
    if ok:
        pick = min(ok, key=lambda r: costs["{1}x{2}_{3}".format(*parse_cell(r["cell"]))])
        lines.append(f"Choice rule: the cheapest cell to train whose ceiling's lower 95 % bound clears the "
                     f"{100 * goal:.0f} % goal: `{pick['cell']}`.")
    return "\n".join(lines)


def run(cells: list[str], seeds: str = "100-100", record_only: bool = False) -> dict:
    from plansight.agent.shared.ranges import parse_ints

    seed_list = parse_ints(seeds, "seeds", bare_is_count=False)
    if set(seed_list) & set(TEST_SEEDS):
        raise SystemExit(f"plan_format: seeds {seeds} overlap the test seeds 0-24; use tuning seeds (≥ 100)")
    rows = []
    for cell in cells:
        parse_cell(cell)
        if not record_only:
            run_cell(cell, seed_list)
        r = cell_result(cell)
        if r is not None:
            rows.append(r)
    costs, measured = step_costs(rows)
    figures = {"cells": rows, "train_step_s": costs, "train_step_measured": measured, "seeds": seed_list,
               "grid": list(CELLS)}
    record("plan_format", figures, markdown(rows, costs, measured))
    return figures


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cells", default=",".join(CELLS), help="comma-separated cells (default: the whole grid)")
    ap.add_argument("--seeds", default="100-100", help="tuning seeds, a range or list (never 0-24)")
    ap.add_argument("--record-only", action="store_true", help="tabulate the cells already run, run no episodes")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    figures = run(args.cells.split(","), args.seeds, args.record_only)
    print(json.dumps({r["cell"]: f"{r['success']}/{r['episodes']}" for r in figures["cells"]}, indent=2))


if __name__ == "__main__":
    main()
