"""The learned RGB-D video planner against the shipped RGB one at the same format (issue 18).

Both models plan 1 observed + 7 predicted frames at 64×48 and were trained on the same 165 expert videos
(``data/mw_train_128x96.hdf5``: 5 demos × 11 tasks × 3 cameras, seeds 1000–1004). The RGB-D model also predicts
each frame's depth, so the executor runs its RGB-D path (3-D fit, ICP) on learned plans; the RGB model's plans go
through the RGB path. Figures:

- **Success** on the tuning seeds (default 100; never the test seeds 0–24), 11 tasks × 3 cameras, 0 and 5 replans,
  by ``plansight eval metaworld --planner diffusion`` into ``runs/video_rgbd/<model>/``, beside the oracle at the
  same format (``runs/plan_format``, 5 replans): the decomposition of the points lost into the executor's (the
  oracle's misses) and the model's (the oracle's successes the model misses), per task.
- **Video quality** (``bench.video_planner.quality``) on the tuning seeds 100–102 (not in the training data, which
  starts at seed 1000; not the test seeds, since this comparison informs choices): PSNR / SSIM against copying the
  first frame, and for the RGB-D model its depth AbsRel against the rendered depth of the true future (pixels
  inside 5 m; the copied depth clipped to the model's 0.4–5 m range, as the model's own output is).
- **Plan latency** of the RGB-D model (320×240 RGB-D in, 10 DDIM steps), medians.

    .venv/bin/python -m bench.video_rgbd --checkpoint runs/video_rgbd_cpu/model
"""

from __future__ import annotations

import argparse
import json
import logging
import subprocess
import sys
from pathlib import Path

from bench import plan_format, video_planner
from bench.common import ROOT, record, wilson

log = logging.getLogger(__name__)

OUT = ROOT / "runs" / "video_rgbd"
RGB_MODEL = ROOT / "launch" / "models" / "video_mw_64x48"
ORACLE_CELLS = {"rgbd": "rgbd_64x48_8", "rgb": "rgb_64x48_8"}


def evaluate(name: str, checkpoint: Path, seeds: list[int], workers: int, replans: tuple[int, ...] = (0, 5)) -> dict:
    """Episodes of one model into ``runs/video_rgbd/<name>_step<k>`` (a retrained checkpoint gets a new folder:
    episodes are keyed by the checkpoint's path, which training overwrites)."""
    step = json.loads((checkpoint / "plansight_train.json").read_text()).get("step", 0)
    out = OUT / f"{name}_step{step}"
    cmd = [sys.executable, "-m", "plansight.launch.cli", "eval", "metaworld", "--planner", "diffusion", "--checkpoint",
           str(checkpoint), "--tasks", "all", "--seeds", plan_format.seeds_arg(seeds), *(a for r in replans for a in ("--replan", str(r))),
           "--workers",
           str(workers), "--videos", "0", "--out", str(out)]
    subprocess.run(cmd, check=True, cwd=ROOT)
    return json.loads((out / "summary.json").read_text())


def cell(ok: int, n: int) -> str:
    lo, hi = wilson(ok, n)
    return f"{ok}/{n} ({100 * ok / n:.1f} %, {100 * lo:.0f}–{100 * hi:.0f})" if n else "–"


QUALITY_SEEDS = (100, 101, 102)


def figure(checkpoint: Path, path: Path, task: str = "button-press", camera: str = "corner2", seed: int = 100) -> Path:
    """A PNG: the model's plan (RGB, then its depth), over the expert's real future (RGB, then rendered depth), from a
    tuning seed; depth drawn as the model's log code (near = bright)."""
    import cv2
    import numpy as np
    from PIL import Image

    from plansight.agent.planning.depth_norm import encode_depth
    from plansight.agent.planning.video_planner import DiffusionVideoPlanner
    from plansight.agent.shared.atomic import atomic_path
    from plansight.sim.metaworld.arm_sim import MetaWorldArm
    from plansight.sim.metaworld.config_metaworld import make_config

    planner = DiffusionVideoPlanner(checkpoint)
    c = planner.net.config
    arm = MetaWorldArm(make_config(task=task, cameras=(camera,), width=320, height=240))
    try:
        real, real_d = video_planner.expert_clip(arm, task, camera, seed, c.n_future + 1, c.height, c.width, True)
    finally:
        arm.close()
    pred, pred_d = planner.sample(real[0], task, 1, seed, real_d[0])

    def shade(d: np.ndarray) -> np.ndarray:
        z = encode_depth(d, c.depth_near_m, c.depth_far_m).numpy()
        return cv2.cvtColor(cv2.applyColorMap(((1 - z) * 127.5).astype(np.uint8), cv2.COLORMAP_VIRIDIS),
                            cv2.COLOR_BGR2RGB)

    rows = [np.concatenate([real[0], *pred[0]], axis=1), np.concatenate([shade(real_d[0]), *map(shade, pred_d[0])], 1),
            np.concatenate(list(real), axis=1), np.concatenate([shade(d) for d in real_d], axis=1)]
    img = Image.fromarray(np.concatenate(rows, axis=0))
    img = img.resize((img.width * 2, img.height * 2), Image.NEAREST)
    with atomic_path(path) as tmp:
        img.save(tmp, format="PNG")
    return path


def run(checkpoint: Path, seeds: list[int], workers: int = 2, quality_seeds: tuple[int, ...] = QUALITY_SEEDS,
        replans: tuple[int, ...] = (0, 5)) -> dict:
    from plansight.sim.metaworld.config_metaworld import CAMERAS
    from plansight.sim.metaworld.tasks import TASKS

    if (set(seeds) | set(quality_seeds)) & set(range(25)):
        raise SystemExit("video_rgbd: this comparison runs on tuning seeds, never the test seeds 0-24")
    models = {"rgbd": checkpoint, "rgb": RGB_MODEL}
    success = {k: evaluate(k, p, seeds, workers, replans) for k, p in models.items()}
    oracle = {}
    for k, c in ORACLE_CELLS.items():
        if (r := plan_format.cell_result(c)) is None or r["seeds"] != seeds:
            plan_format.run_cell(c, seeds)  # the oracle on exactly these seeds
            r = plan_format.cell_result(c)
        oracle[k] = r
    quality = {k: video_planner.quality(p, list(quality_seeds), list(TASKS), list(CAMERAS))
               for k, p in models.items()}
    meta = json.loads((checkpoint / "plansight_train.json").read_text())
    figures = {"checkpoint": str(checkpoint), "training": meta, "seeds": seeds, "quality_seeds": list(quality_seeds),
               "success": success, "oracle": oracle,
               "quality": quality, "latency": video_planner.latency(checkpoint),
               "figure": str(figure(checkpoint, ROOT / "docs" / "img" / "video_plan_rgbd.png"))}
    record("video_planner_rgbd", figures, markdown(figures))
    return figures


def markdown(f: dict) -> str:
    t, lat = f["training"], f["latency"]
    s, o = f["success"], f["oracle"]
    lines = ["## Learned RGB-D plans against learned RGB plans (64×48, 8 frames)", "",
             f"RGB-D model: `{f['checkpoint']}` ({t['step']} steps × batch {t['config']['batch_size']}, "
             f"{t['wall_time_s'] / 60:.0f} min on {t['device']}, data `{t['data']}`); RGB model: the shipped "
             "`launch/models/video_mw_64x48` (1750 steps). Same data, format, width and sampler (DDIM 10). Success on "
             f"tuning seeds {', '.join(map(str, f['seeds']))} × 11 tasks × 3 cameras (never the test seeds), with "
             "the oracle at the same format (plan_format):", "",
             "| Planner | 0 replans | 5 replans |", "|---|---|---|"]
    for k, label in (("rgbd", "RGB-D video model (executor: RGB-D path)"), ("rgb", "RGB video model (RGB path)")):
        st = s[k]["settings"]
        lines.append(f"| {label} | " + " | ".join(cell(*plan_format.counts(st[r])) if r in st else "not run"
                                                  for r in ("replans_0", "replans_5")) + " |")
    for k, label in (("rgbd", "Oracle RGB-D at 64×48, 8 frames"), ("rgb", "Oracle RGB at 64×48, 8 frames")):
        if o[k]:
            lines.append(f"| {label} | – | {cell(o[k]['success'], o[k]['episodes'])} |")
    if o["rgbd"]:
        lines += ["", "Where the RGB-D model's 5-replan points go, per task (successes of 3 episodes each): "
                  "oracle → model.", "", "| Task | Oracle RGB-D | RGB-D model | RGB model |", "|---|---|---|---|"]
        for task, (ok, n) in o["rgbd"]["per_task_counts"].items():
            m = s["rgbd"]["settings"]["replans_5"]["per_task_counts"].get(task, [0, 0])
            r = s["rgb"]["settings"]["replans_5"]["per_task_counts"].get(task, [0, 0])
            lines.append(f"| {task} | {ok}/{n} | {m[0]}/{m[1]} | {r[0]}/{r[1]} |")
    q = f["quality"]
    qs = q["rgbd"]
    lines += ["", f"Video quality ({qs['clips']} clips: tuning seeds {qs['seeds'][0]}–{qs['seeds'][-1]} × 3 cameras × "
              f"11 tasks, at {qs['size']}; not in the training data):", "",
              "| Predictor | PSNR (dB) | SSIM | Depth AbsRel (scene within 5 m) |", "|---|---|---|---|"]
    for name, d in (("RGB-D video model", qs["overall"]["model"]), ("RGB video model", q["rgb"]["overall"]["model"]),
                    ("copy the first frame (RGB-D)", qs["overall"]["copy"])):
        dep = f"{d['depth_abs_rel']:.4f}" if "depth_abs_rel" in d else "–"
        lines.append(f"| {name} | {d['psnr_db']:.2f} | {d['ssim']:.3f} | {dep} |")
    lines += ["", f"Plan latency of the RGB-D model ({lat['threads']} torch threads, 320×240 RGB-D in and out, DDIM "
              f"{lat['sample_steps']}): **{lat['batch1_median_s']:.2f} s** for one plan, {lat['batch4_median_s']:.2f} s "
              "for 4 candidates (medians).", "",
              "Reproduce: `plansight train video --data data/mw_train_128x96.hdf5 --config "
              "launch/configs/video_rgbd_cpu.yaml --out runs/video_rgbd_cpu` (resumable with `--resume`), then "
              "`python -m bench.video_rgbd --checkpoint runs/video_rgbd_cpu/model`."]
    return "\n".join(lines)


def main() -> None:
    from plansight.agent.shared.ranges import parse_ints

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", type=Path, required=True)
    ap.add_argument("--seeds", default="100-100", help="tuning seeds (never 0-24)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--quality-seeds", default="100-102", help="tuning seeds for video quality (never 0-24)")
    ap.add_argument("--replan", type=int, action="append", help="replanning settings (default 0 and 5)")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    figures = run(args.checkpoint, parse_ints(args.seeds, "seeds", bare_is_count=False), args.workers,
                  tuple(parse_ints(args.quality_seeds, "quality seeds", bare_is_count=False)),
                  tuple(args.replan or (0, 5)))
    print(json.dumps({k: {s: v["overall"] for s, v in r["settings"].items()} for k, r in figures["success"].items()},
                     indent=2))


if __name__ == "__main__":
    main()
