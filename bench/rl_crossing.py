"""The depth-based RL room-crossing policy against reactive avoidance (issue 22), on the same rooms.

Both fly ``drone_room_stereo.yaml`` (SGBM stereo depth, the same safety envelope, 60 s) in the held-out rooms
1000–1019 of each level (default and dense; ``room: {level: ...}``), rooms no policy was trained or tuned in
(the crossing env trains in rooms drawn from [10⁶, 2³¹)). The RL policy is ``policy: {type: rl, model: ...}``
(``agent/control/rl_policy.py``: its depth rays come from the stereo depth image); the reactive baseline is the
mission's own avoidance policy in ``mode: reactive``. Per level: rooms flown ≥ 20 m with 0 collisions (95 %
Wilson interval), median distance, collisions.

    .venv/bin/python -m bench.rl_crossing --model runs/rl/crossing
    .venv/bin/python -m bench.rl_crossing --model runs/rl/crossing --seeds 1000-1004 --levels dense
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
from concurrent.futures import ProcessPoolExecutor

from bench import avoidance_levels
from bench.common import record

log = logging.getLogger(__name__)

POLICIES = ("rl", "reactive")


def run(model: str, levels: tuple[str, ...] = ("default", "dense"), seeds: list[int] | None = None,
        duration_s: float = 60.0, workers: int = 1) -> dict:
    """Fly every (policy, level, room); ``workers`` > 1 flies them in that many spawned processes (each flight is
    deterministic and independent, so the figures do not depend on it)."""
    seeds = list(seeds or avoidance_levels.HELD_OUT_ROOMS)
    sets = {"rl": [f"policy={{type: rl, model: {model}}}"], "reactive": ["policy.mode=reactive"]}
    jobs = [(p, lvl, s) for lvl in levels for p in POLICIES for s in seeds]
    args = [(lvl, s, duration_s, avoidance_levels.MISSION, sets[p]) for p, lvl, s in jobs]
    if workers > 1:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            flown = list(pool.map(avoidance_levels.fly_room, *zip(*args, strict=True)))
    else:
        flown = [avoidance_levels.fly_room(*a) for a in args]
    results: dict[str, dict[str, dict]] = {p: {} for p in POLICIES}
    for lvl in levels:
        for p in POLICIES:
            runs = [r for (jp, jl, _), r in zip(jobs, flown, strict=True) if (jp, jl) == (p, lvl)]
            results[p][lvl] = avoidance_levels.summarise(runs)
            log.info("%s / %s: %s", lvl, p, results[p][lvl]["success_text"])
    held_out = set(seeds) <= set(avoidance_levels.HELD_OUT_ROOMS)
    figures = {"model": model, "seeds": seeds, "seed_kind": "held-out" if held_out else "other",
               "duration_s": duration_s, "levels": list(levels), "policies": results}
    rows = []
    for lvl in levels:
        for p in POLICIES:
            f = results[p][lvl]
            rows.append(f"| {lvl} | {'RL crossing (PPO, depth rays)' if p == 'rl' else 'reactive avoidance'} | "
                        f"**{f['success']}/{f['n']}** | {100 * f['wilson_95'][0]:.0f}–{100 * f['wilson_95'][1]:.0f} % "
                        f"| {f['median_distance_m']:.1f} | {f['collisions_total']} ({f['rooms_with_collisions']} rooms) |")
    md = f"""## RL room crossing against reactive avoidance

`drone_room_stereo.yaml` (SGBM stereo), {duration_s:g} s, rooms {seeds[0]}–{seeds[-1]} per level
({'held-out: never trained or tuned in' if held_out else 'not the held-out set'}). RL: `policy: {{type: rl, model:
{model}}}`, trained by `plansight train rl --env crossing` in rooms drawn from [10⁶, 2³¹) (default level);
reactive: the mission's avoidance in `mode: reactive`. Success: ≥ 20 m flown with 0 collisions.

| Level | Policy | ≥ 20 m, 0 collisions | 95 % Wilson | Median distance (m) | Collisions |
|---|---|---|---|---|---|
""" + "\n".join(rows)
    record("rl_crossing", figures, md)
    return figures


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="crossing model folder (plansight train rl --out) or builtin:<name>")
    ap.add_argument("--levels", default="default,dense")
    ap.add_argument("--seeds", default="held-out", help="'held-out' (1000-1019) or a range/list")
    ap.add_argument("--duration", type=float, default=60.0)
    ap.add_argument("--workers", type=int, default=1, help="flights in parallel (processes)")
    ap.add_argument("--record", action="store_true", help="write bench/results and BENCHMARKS.md")
    args = ap.parse_args()
    from bench import common

    common.RECORD = args.record
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    logging.getLogger("plansight").setLevel(logging.WARNING)
    figures = run(args.model, tuple(args.levels.split(",")), avoidance_levels.parse_seeds(args.seeds), args.duration,
                  args.workers)
    print(json.dumps({p: {lvl: v["success_text"] for lvl, v in r.items()} for p, r in figures["policies"].items()},
                     indent=2))


if __name__ == "__main__":
    main()
