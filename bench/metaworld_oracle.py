"""Meta-World oracle-video benchmark: the flow executor on expert ("oracle") plans, AVDC's protocol.

The episodes are run by ``plansight eval metaworld`` (resumable, parallel); this module records the
summary it wrote into ``bench/results/metaworld_oracle.json`` and BENCHMARKS.md.

    python -m bench.run --only metaworld_oracle --mw-seeds 25 --mw-workers 1
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

from bench.common import BENCHMARKS_MD, RESULTS, machine  # noqa: F401  (RESULTS documents where it goes)

log = logging.getLogger(__name__)
OUT = Path("runs/eval_metaworld")


def _markdown(s: dict) -> str:
    from launch.eval_metaworld import markdown_table

    settings = sorted(s["settings"].values(), key=lambda x: x["replans"])
    seeds = settings[0]["seeds"]
    n_seeds = len(seeds)
    lines = [
        "## Meta-World: flow executor on oracle videos (AVDC protocol)",
        "",
        f"Oracle plans: the scripted expert's future from the current state, {s['plan_frames']} frames "
        f"(observed + {s['plan_frames'] - 1}) at {s['width']}×{s['height']}; executor: OpenCV DIS flow, "
        "first-frame depth, RANSAC + least-squares motion fit, AVDC's grasp/push rule and controller. "
        f"**{n_seeds} seeds** ({seeds[0]}–{seeds[-1]}) × {len(s['cameras'])} cameras per task "
        f"(AVDC: 25 × 3){'' if n_seeds >= 25 else '; the rest can be finished by re-running the command'}.",
        "",
        markdown_table(s["settings"]),
        "AVDC columns: published, with *generated* videos (VideoAgent v1 Table 1); ours are with oracle videos, "
        "the ceiling for any planner feeding this executor.",
        "",
        "| Setting | Episodes | Errors | Plans / episode | Seconds / episode | render | flow | motion fit | "
        "expert sim | control sim |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for x in settings:
        t = x["timing_per_episode"]
        render = t.get("render_obs", 0.0) + t.get("oracle_render", 0.0)
        lines.append(f"| {x['replans']} replans | {x['episodes']} | {x['errors']} | {x['plans_per_episode']:.2f} | "
                     f"{x['seconds_per_episode']:.2f} | {render:.2f} | {t.get('flow', 0):.2f} | {t.get('fit', 0):.2f} | "
                     f"{t.get('oracle_sim', 0):.2f} | {t.get('control_sim', 0):.2f} |")
    lines += ["", f"Command: `{s['command']}` (then `python -m bench.run --only metaworld_oracle` to record)."]
    return "\n".join(lines)


def record_summary(out: Path = OUT) -> dict:
    """Record ``<out>/summary.json`` (written by ``plansight eval metaworld``) as this benchmark."""
    from bench.common import record

    s = json.loads((out / "summary.json").read_text())
    figures = {"settings": s["settings"], "plan_frames": s["plan_frames"], "width": s["width"],
               "height": s["height"], "eval_command": s["command"]}
    record("metaworld_oracle", figures, _markdown(s))
    return figures


def run(seeds: int = 25, workers: int = 1, out: Path = OUT) -> dict:
    """Run (or resume) the full evaluation through the CLI, then record it."""
    cmd = [sys.executable, "-m", "launch.cli", "eval", "metaworld", "--planner", "oracle", "--tasks", "all",
           "--cameras", "corner,corner2,corner3", "--seeds", str(seeds), "--replan", "0", "--replan", "5",
           "--workers", str(workers), "--out", str(out)]
    log.info("running %s", " ".join(cmd))
    subprocess.run(cmd, check=True)
    return record_summary(out)
