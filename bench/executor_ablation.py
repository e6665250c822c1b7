"""Executor ablations on oracle plans: the same episodes run with the default executor and with changes to
``ExecutorConfig`` (``plansight eval metaworld --executor FIELD=VALUE``), compared task by task.

    python -m bench.run --only executor_ablation --ablation-seeds 2 --ablation-workers 2

Each variant is an ordinary (resumable) evaluation in ``runs/ablation_executor/<variant>``; only episodes that
every variant finished are compared.
"""

from __future__ import annotations

import logging
import math
import subprocess
import sys
from pathlib import Path

from bench.common import record

log = logging.getLogger(__name__)
OUT = Path("runs/ablation_executor")

VARIANTS: dict[str, tuple[str, ...]] = {
    "default": (),
    "gripper_lk": ("gripper_tracker=lk",),
    "lk_all": ("object_tracker=lk", "gripper_tracker=lk"),
    "depth_prior_5": ("depth_prior_px_per_m=5",),
    "dis2x": ("flow=dis2x",),
    "farneback": ("flow=farneback",),
    "truth": ("object_tracker=truth",),
}
"""Variant folder → ``--executor`` overrides. ``default`` is the executor of the oracle benchmark."""

LABELS = {"default": "default (dense DIS flow, no gripper track)",
          "gripper_lk": "+ gripper track (LK) carrying lifted objects",
          "lk_all": "+ LK for the object points too",
          "depth_prior_5": "depth prior 5 px/m (default 20)",
          "dis2x": "DIS on frames upsampled 2×",
          "farneback": "Farneback flow",
          "truth": "true object motion instead of tracking (privileged)"}


def run(seeds: int = 2, workers: int = 1, replans: int = 5, out: Path = OUT) -> dict:
    """Run (or resume) every variant through the CLI on seeds ``0..seeds-1``, then record the comparison."""
    for name, overrides in VARIANTS.items():
        cmd = [sys.executable, "-m", "launch.cli", "eval", "metaworld", "--planner", "oracle", "--tasks", "all",
               "--cameras", "corner,corner2,corner3", "--seeds", str(seeds), "--replan", str(replans),
               "--workers", str(workers), "--videos", "0", "--out", str(out / name)]
        for o in overrides:
            cmd += ["--executor", o]
        log.info("running %s", " ".join(cmd))
        subprocess.run(cmd, check=True)
    return record_ablation(out)


def _episodes(folder: Path) -> dict[tuple, dict]:
    """Episodes of one variant by (task, camera, seed, replans), from its resume log."""
    from launch.eval_metaworld import read_log

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
    p, n = v["default"]["successes"] / c["episodes"], c["episodes"]
    se = 100 * math.sqrt(p * (1 - p) / n)
    diff = max((abs(v[k]["overall"] - v["default"]["overall"]) for k in names if k not in ("default", "truth")),
               default=0.0) * 100
    lines = ["## Executor ablations (oracle plans, 24 frames, 320×240)", "",
             f"The same {n} episodes (11 tasks × 3 cameras × seeds {c['seeds'][0]}–{c['seeds'][-1]}, "
             f"{', '.join(map(str, c['replans']))} replans) with the default executor and with changes to it. Among the "
             f"non-privileged changes the largest overall difference to the default is {diff:.1f} points; one binomial standard error of the default's "
             f"success rate over these episodes is {se:.1f} points. Each task cell is 6 episodes; wall seconds include "
             "waiting for the CPU while other runs shared the machine, so they are not a speed figure.", "",
             "| Task | " + " | ".join(LABELS.get(n, n) for n in names) + " |",
             "|---|" + "---|" * len(names)]
    for t in v["default"]["per_task"]:
        lines.append(f"| {t} | " + " | ".join(f"{100 * v[n]['per_task'][t]:.0f}%" for n in names) + " |")
    lines.append("| **Overall** | " + " | ".join(f"**{100 * v[n]['overall']:.1f}%**" for n in names) + " |")
    lines.append("| Wall seconds / episode | " + " | ".join(f"{v[n]['seconds_per_episode']:.1f}" for n in names) + " |")
    if "truth" in v:
        t, d = 100 * v["truth"]["overall"], 100 * v["default"]["overall"]
        verdict = ("grasp/push logic, controller and replanning already reach the 90 % target; what is missing is "
                   "visual tracking" if t >= 90 else "tracking is not the only gap to the 90 % target")
        lines += ["", f"**Tracking is the bottleneck**: given the object's true motion (read from the simulator at each "
                  f"plan frame, a privileged ablation), the same executor reaches {t:.1f} % against {d:.1f} % with "
                  f"flow: its {verdict}."]
    lines += ["", "Flags: " + "; ".join(f"{n}: `{' '.join('--executor ' + o for o in v[n]['overrides']) or '(none)'}`"
                                        for n in names) + ".", "",
              "What the gripper track is: pixels whose first-frame depth puts them within 6 cm of the fingertips "
              "(no segmentation), tracked like the object; a lifted object near them rides in the hand from then "
              "on, and a held one follows the gripper from frame 0. In single-plan traces (`agent.planning.subgoals` debug "
              "log) it follows the lift, then loses the gripper as it moves along the camera ray towards the goal: "
              "translation along the ray is barely visible to flow on a gripper of ~60 pixels. The depth prior is the "
              "cost the translation fit puts on motion along the optical axis (pixels per point per metre): a weaker "
              "one lets along-ray motion through, and noise with it."]
    return "\n".join(lines)


def record_ablation(out: Path = OUT) -> dict:
    c = compare(out)
    record("executor_ablation", c, _markdown(c))
    return c
