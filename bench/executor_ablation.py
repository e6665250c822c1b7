"""Executor ablations on oracle plans: the same episodes run with the default executor and with changes to
``ExecutorConfig`` (``plansight eval metaworld --executor FIELD=VALUE``), compared task by task.

    python -m bench.run --only executor_ablation --ablation-seeds 100-101 --ablation-workers 2

Seeds: tuning seeds (default 100–101), disjoint from AVDC's test seeds 0–24, which only the headline evaluation
(``metaworld_oracle``) may use. The record states the seeds it compared.

Each variant is an ordinary (resumable) evaluation in ``runs/ablation_executor/<variant>``; only episodes that
every variant finished are compared, matched by task, camera, seed and replans. Records run before a default
changed keep the key they were run under (e.g. the ``rgb`` records were the default executor before RGB-D plans
existed, the same code path as ``plan_depth=false``); a resume runs such a variant again.
"""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

from bench.common import record, wilson

log = logging.getLogger(__name__)
OUT = Path("runs/ablation_executor")

RGB = ("plan_depth=false",)
"""AVDC's input and fit: RGB plans (first-frame depth only); ICP and the surface gate need the plan's depth."""

VARIANTS: dict[str, tuple[str, ...]] = {
    "default": (),
    "translation": ("motion=translation", "max_step_m=null"),
    "no_step_limit": ("max_step_m=null",),
    "occlusion_5cm": ("occlusion_m=0.05",),
    "rgbd_fit_gripper": ("icp_radius_m=null", "surface_gate=false", "gripper_tracker=lk"),
    "rgb": RGB,
    "rgb_gripper_lk": (*RGB, "gripper_tracker=lk"),
    "rgb_lk_all": (*RGB, "object_tracker=lk", "gripper_tracker=lk"),
    "rgb_depth_prior_5": (*RGB, "depth_prior_px_per_m=5"),
    "rgb_dis2x": (*RGB, "flow=dis2x"),
    "rgb_farneback": (*RGB, "flow=farneback"),
    "truth": ("object_tracker=truth",),
    "no_grasp_top": ("grasp_top_radius_m=null",),
    "held_object_alone": ("held_with_hand=false",),
    "verify_1cm": ("verify_m=0.01",),
}
"""Variant folder → ``--executor`` overrides. ``default`` is the executor of the oracle benchmark: RGB-D plans,
3-D yaw fits, ICP onto the plan's depth, surface gate, 15 cm step limit; ``translation`` is the default before
the yaw model."""

RECORDED_WITH = ("Every column was run with this table's code, on these seeds, by this bench.")
"""Which executor the recorded folders in ``runs/ablation_executor`` come from."""

LABELS = {"default": "default: RGB-D plan, 3-D yaw fit + ICP, surface gate, 15 cm step limit",
          "translation": "previous default: translation fit and ICP, no step limit",
          "no_step_limit": "default without the step limit",
          "occlusion_5cm": "default + points whose depth comes 5 cm nearer left out as occluded",
          "rgbd_fit_gripper": "RGB-D plan, 3-D fit, gripper track (LK); no ICP, no gate",
          "rgb": "RGB plan (AVDC's input): DIS flow, reprojection fit",
          "rgb_gripper_lk": "RGB + gripper track (LK) carrying lifted objects",
          "rgb_lk_all": "RGB + LK for the object points too",
          "rgb_depth_prior_5": "RGB, depth prior 5 px/m (default 20)",
          "rgb_dis2x": "RGB, DIS on frames upsampled 2×",
          "rgb_farneback": "RGB, Farneback flow",
          "truth": "true object motion instead of tracking (privileged)",
          "no_grasp_top": "grasp along the camera ray, not over the object's top",
          "held_object_alone": "a held object tracked by its own points, not with the fingers",
          "verify_1cm": "default + each frame's motion checked against its depth (1 cm)"}


TUNING_SEEDS = "100-101"
"""Ablations and thresholds are chosen on these (11 tasks × 3 cameras × 2 seeds = 66 episodes a variant)."""


def run(seeds: str = TUNING_SEEDS, workers: int = 1, replans: int = 5, out: Path = OUT,
        only: list[str] | None = None) -> dict:
    """Run (or resume) every variant (or those named in ``only``) through the CLI on ``seeds`` (a range like
    100-101 or a list; test seeds 0–24 are refused), then record the comparison of every variant folder in
    ``out``."""
    from plansight.agent.shared.ranges import parse_ints

    if set(parse_ints(seeds, "ablation seeds", bare_is_count=False)) & set(range(25)):
        raise ValueError(f"ablation seeds {seeds!r} overlap AVDC's test seeds 0-24: tune on others (e.g. 100-101)")
    unknown = sorted(set(only or ()) - set(VARIANTS))
    if unknown:
        raise ValueError(f"unknown ablation variant(s) {', '.join(unknown)}; known: {', '.join(VARIANTS)}")
    for name, overrides in VARIANTS.items():
        if only and name not in only:
            continue
        cmd = [sys.executable, "-m", "plansight.launch.cli", "eval", "metaworld", "--planner", "oracle", "--tasks", "all",
               "--cameras", "corner,corner2,corner3", "--seeds", seeds, "--replan", str(replans),
               "--workers", str(workers), "--videos", "0", "--out", str(out / name)]
        for o in overrides:
            cmd += ["--executor", o]
        log.info("running %s", " ".join(cmd))
        subprocess.run(cmd, check=True)
    return record_ablation(out)


def _episodes(folder: Path) -> dict[tuple, dict]:
    """Episodes of one variant by (task, camera, seed, replans), from its resume log."""
    from plansight.launch.eval_metaworld import read_log

    return {(r["task"], r["camera"], r["seed"], r["replans"]): r for r in read_log(folder / "episodes.jsonl").values()}


def compare(out: Path = OUT) -> dict:
    """Per-task success of each variant on the episodes all variants finished."""
    runs = {name: _episodes(out / name) for name in VARIANTS if (out / name / "episodes.jsonl").exists()}
    if "default" not in runs or len(runs) < 2:
        raise FileNotFoundError(f"{out}: need the default and at least one variant; run python -m bench.run "
                                "--only executor_ablation")
    common = sorted(set.intersection(*(set(r) for r in runs.values())))
    tasks = sorted({k[0] for k in common})
    table = {}
    for name, recs in runs.items():
        per_task = {t: sum(recs[k]["success"] for k in common if k[0] == t) / sum(1 for k in common if k[0] == t)
                    for t in tasks}
        table[name] = {"overrides": list(VARIANTS[name]), "per_task": per_task,
                       "overall": sum(per_task.values()) / len(per_task),
                       "successes": sum(recs[k]["success"] for k in common),
                       "seconds_per_episode": sum(recs[k]["seconds"] for k in common) / len(common)}
    return {"episodes": len(common), "seeds": sorted({k[2] for k in common}),
            "replans": sorted({k[3] for k in common}), "variants": table}


def _markdown(c: dict) -> str:
    names = list(c["variants"])
    v = c["variants"]
    n = n_all = c["episodes"]

    seeds = c["seeds"]
    tuning = not set(seeds) & set(range(25))
    protocol = ("tuning seeds, disjoint from the test seeds 0–24" if tuning else
                "**inside AVDC's test seeds 0–24**: a figure to rerun on tuning seeds")
    lines = ["## Executor ablations (oracle plans, 24 frames, 320×240)", "",
             f"The same {n} episodes (11 tasks × 3 cameras × seeds {', '.join(map(str, seeds))}: {protocol}; "
             f"{', '.join(map(str, c['replans']))} replans) with the default executor and with changes to it. Each "
             "overall cell is successes of episodes with a 95 % Wilson interval; each task cell is 6 episodes. Wall "
             "seconds include waiting for the CPU while other runs shared the machine, so they are not a speed "
             f"figure. {RECORDED_WITH}", "",
             "| Task | " + " | ".join(LABELS.get(n, n) for n in names) + " |",
             "|---|" + "---|" * len(names)]
    for t in v["default"]["per_task"]:
        lines.append(f"| {t} | " + " | ".join(f"{100 * v[n]['per_task'][t]:.0f}%" for n in names) + " |")
    lines.append("| **Overall** | " + " | ".join(f"**{100 * v[n]['overall']:.1f}%**" for n in names) + " |")
    lines.append("| Successes, 95 % interval | " + " | ".join(
        f"{v[n]['successes']}/{n_eps} ({100 * lo:.0f}–{100 * hi:.0f} %)" for n in names
        for n_eps, (lo, hi) in [(n_all, wilson(v[n]["successes"], n_all))]) + " |")
    lines.append("| Wall seconds / episode | " + " | ".join(f"{v[n]['seconds_per_episode']:.1f}" for n in names) + " |")
    if "truth" in v and "rgb" in v:
        t, d, r = (100 * v[k]["overall"] for k in ("truth", "default", "rgb"))
        lines += ["", f"**Tracking was the bottleneck, and depth in the plan removes nearly all of it.** Given the object's "
                  f"true motion (read from the simulator at each plan frame, a privileged ablation) the executor "
                  f"reaches {t:.1f} %. From RGB plans (AVDC's input: first-frame depth, flow, reprojection fit) it "
                  f"reaches {r:.1f} %: flow loses the carried object under the fingers, and motion along the camera "
                  f"ray is nearly invisible in a 100-pixel object. With the plan's own depth in every frame (RGB-D "
                  f"plans), a 3-D fit of the tracked points and ICP of the object's points onto the frame's depth "
                  f"around them it reaches {d:.1f} %."]
    lines += ["", "Flags: " + "; ".join(f"{n}: `{' '.join('--executor ' + o for o in v[n]['overrides']) or '(none)'}`"
                                        for n in names) + ".", "",
              "The gripper track: pixels whose first-frame depth puts them within 6 cm of the fingertips "
              "(no segmentation), tracked like the object; a lifted object near them rides in the hand from then "
              "on, and a held one follows the gripper from frame 0. It did not help on RGB plans. On RGB-D plans without "
              "ICP it carries lifted objects, but with ~60 visible pixels it loses the gripper where it moves fast "
              "(single-plan traces, executor_tracking). ICP does the carrying instead: once the "
              "fingers hide the object, its points pair with the fingers' depth around it, which moves with it."]
    return "\n".join(lines)


def record_ablation(out: Path = OUT) -> dict:
    c = compare(out)
    record("executor_ablation", c, _markdown(c))
    return c
