"""HILP zero-shot goal reaching on the drone against PPO trained on the goal reward (issue 22).

Runs ``launch/train_hilp.py`` (play flights → φ → latent PPO → zero-shot on the waypoint task's 50 start/goal pairs
of seeds 3000–3049, next to ``--direct-model``) and records its ``summary.json``; ``--summary`` records a finished
run's summary instead of training again.

    .venv/bin/python -m bench.hilp --record                                   # train (~40 CPU-min), record
    .venv/bin/python -m bench.hilp --record --summary runs/hilp/summary.json  # record a finished run
"""

from __future__ import annotations

import argparse
import json
import logging
import subprocess
import sys
from pathlib import Path

from bench.common import ROOT, record

log = logging.getLogger(__name__)

DIRECT_MODEL = "launch/models/rl_waypoint_ppo"


def markdown(f: dict) -> str:
    z, d = f["zero_shot"], f["direct_goal_conditioned_ppo"]
    zi = f.get("zero_shot_image")
    fit = f.get("image_goal_fit") or {}
    logged = (f"recorded as flight logs ({f['play_log_hz']:g} Hz: left RGB, SGBM depth, ground-truth depth, state), "
              f"each flight in a room of its own (seeded textures)" if "play_log_hz" in f else "in one room")
    image_row = (f"| HILP zero-shot, goal given as the camera image from the goal (ψ, no goal reward ever) | "
                 f"**{zi['reached']}/{zi['goals']}** | {zi['ci95'][0]:.2f}–{zi['ci95'][1]:.2f} | "
                 f"{zi['final_distance_m_median']:.3f} m |\n" if zi else "")
    image_text = (f" Image goals: ψ, a small CNN, regresses φ(state) from the logged left image of that state "
                  f"({f['image_goal_steps']:,} steps; on the last 10 % of frames, held-out rooms, its RMSE is "
                  f"{fit.get('held_out_relative_rmse')} of the targets' spread), and z = (ψ(I_g) − φ(s)) / ‖·‖ with "
                  f"I_g the view from the goal at a random heading." if zi else "")
    return f"""## HILP zero-shot goal reaching on the drone

φ (32-D, expectile 0.95, twin targets, hindsight goals sampled geometrically along the flight) on
{f.get('phi_input', 'position + velocity')} learnt offline from {f['play_flights']} play flights of
{f.get('play_flight_s', 4.0):g} s ({f['play_states']:,} states: cruising legs along a drifting heading at 0.7–1.5 m with
stops, {100 * f.get('play_rest_fraction', 0.0):.0f} % of states at rest, {f.get('play_crashes', 0)} crashes, in the
empty 8 × 8 m room, {logged}) for {f['phi_steps']:,} steps; a latent-conditioned PPO policy (world-frame action
rotated to the body frame) trained online for {f['policy_steps']:,} steps on the intrinsic reward ⟨φ(s′) − φ(s), z⟩
only; zero-shot goals z = (φ(g) − φ(s)) / ‖·‖.{image_text} Success: within 0.5 m of the goal within 8 s, on the
waypoint task's 50 start/goal pairs of seeds {z['seeds']} (not used for anything else), each in a room no play
flight saw.

| policy | goals reached | 95 % Wilson | median final distance |
|---|---|---|---|
| HILP zero-shot, goal given as a state (no goal reward ever) | **{z['reached']}/{z['goals']}** | {z['ci95'][0]:.2f}–{z['ci95'][1]:.2f} | {z['final_distance_m_median']:.3f} m |
{image_row}| PPO trained on the goal reward (`builtin:rl_waypoint_ppo`) | **{d['reached']}/{d['goals']}** | {d['ci95'][0]:.2f}–{d['ci95'][1]:.2f} | {d['final_distance_m_median']:.3f} m |

Reproduce: `python -m bench.hilp` (`python -m plansight.launch.train_hilp --out runs/hilp --direct-model {DIRECT_MODEL}`)."""


def run(out: Path = ROOT / "runs" / "hilp", summary: Path | None = None) -> dict:
    if summary is None:
        subprocess.run([sys.executable, "-m", "plansight.launch.train_hilp", "--out", str(out), "--direct-model",
                        DIRECT_MODEL], check=True, cwd=ROOT)
        summary = out / "summary.json"
    figures = json.loads(Path(summary).read_text())
    record("hilp", figures, markdown(figures))
    return figures


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=ROOT / "runs" / "hilp")
    ap.add_argument("--summary", type=Path, default=None, help="record this finished run's summary.json")
    ap.add_argument("--record", action="store_true", help="write bench/results and BENCHMARKS.md (else runs/bench)")
    args = ap.parse_args()
    from bench import common

    common.RECORD = args.record
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    f = run(args.out, args.summary)
    print(json.dumps({"zero_shot": f["zero_shot"]["reached"], "zero_shot_image": f.get("zero_shot_image", {}).get("reached"), "direct": f["direct_goal_conditioned_ppo"]["reached"]}))


if __name__ == "__main__":
    main()
