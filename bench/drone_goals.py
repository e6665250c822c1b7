"""Goal missions for drones: fly to a landmark (the magenta panel) in seeded 5×5 m rooms, per pilot.

Pilots (each a bundled mission that differs from the others only in ``policy:`` / ``planner:``):

* ``expert``: ``drone_goal_expert``, the privileged map expert (shortest path on the room's map, pure pursuit);
* ``oracle_plan``: ``drone_goal_oracle_plan``, the video-plan executor on oracle RGB-D plans (the expert's
  future flight, rendered), reading its motion out of the plans by flow + depth + PnP, reactive avoidance as
  the override: the ceiling a learned drone video model is measured against;
* ``goal_bearing``: ``drone_goal_stereo``, the non-planning baseline (avoidance on stereo depth, steering to
  the landmark's colour in the image);
* ``ardrone_oracle_plan`` / ``ardrone_goal_bearing``: the same two on mono depth against the AR.Drone loopback
  emulator (``ardrone_goal_plan``, ``ardrone_goal``; it flies on wall-clock time);
* ``airsim_oracle_plan`` / ``airsim_goal_bearing``: the same two on mono depth through the AirSim adapter and the
  loopback AirSim server (``airsim_goal_plan``, ``airsim_goal``);
* ``learned_plan`` (not in the default set): ``drone_goal_video_plan``, the executor on the learned drone video
  model's plans (``--name drone_goals_learned``).

Success: within ``task.success_radius_m`` (0.5 m) of the landmark with 0 collisions before. Per pilot: the
success count with its 95 % Wilson interval, the median time to goal and path ratio (path flown ÷ the map's
shortest path, up to entering the radius) over the successes, collisions, the median count of safety
overrides and, for the plan executor, the median ego-motion error per plan step (against the plan's true
poses), the plan count and the median latency of a plan and of one step's ego-motion fit.

Seeds protocol: pilots were tuned only in rooms 500–519 (``--seeds tuning``); the record comes from the held-out
rooms 1000–1019 (``--seeds held-out``, the default), never used to tune anything.

    nice -n 10 .venv/bin/python -m bench.drone_goals                         # held-out, 3 pilots, runs/bench/
    nice -n 10 .venv/bin/python -m bench.drone_goals --seeds 500-509 --pilots oracle_plan
    nice -n 10 .venv/bin/python -m bench.drone_goals --pilots learned_plan --name drone_goals_learned --workers 2
    .venv/bin/python -m bench.run --promote drone_goals                       # record a finished run
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time

from bench.common import ROOT, parse_rooms, record, wilson

log = logging.getLogger(__name__)

TUNING_ROOMS = range(500, 520)
"""Rooms the goal pilots may be tuned in."""
HELD_OUT_ROOMS = range(1000, 1020)
"""Rooms no pilot is tuned in: the record comes from these."""
PILOTS = {"expert": "drone_goal_expert", "oracle_plan": "drone_goal_oracle_plan",
          "goal_bearing": "drone_goal_stereo", "learned_plan": "drone_goal_video_plan",
          "ardrone_oracle_plan": "ardrone_goal_plan", "ardrone_goal_bearing": "ardrone_goal",
          "airsim_oracle_plan": "airsim_goal_plan", "airsim_goal_bearing": "airsim_goal"}
DEFAULT_PILOTS = ("expert", "oracle_plan", "goal_bearing", "ardrone_oracle_plan", "ardrone_goal_bearing",
                  "airsim_oracle_plan", "airsim_goal_bearing")
KEYS = ("success", "time_to_goal_s", "path_length_m", "shortest_path_m", "path_ratio", "final_distance_m",
        "collisions", "overrides", "plans", "ego_motion_translation_error_m", "ego_motion_rotation_error_deg",
        "plan_latency_ms", "ego_motion_fit_ms", "replans_on_departure")


def fly_room(pilot: str, seed: int, duration_s: float = 40.0, sets: list[str] | None = None) -> dict:
    """Fly pilot ``pilot``'s mission headless (no video, no ground-truth depth: neither changes the flight) in
    room ``seed``; the run's goal metrics."""
    from plansight.launch.mission import load_mission
    from plansight.launch.runner import fly

    path = ROOT / f"launch/missions/{PILOTS[pilot]}.yaml"
    emb = "embodiment.emulator.sim" if load_mission(path).embodiment.type == "ardrone" else "embodiment"
    m = load_mission(path, {"seed": seed, "duration_s": duration_s},
                     [f"{emb}.ground_truth_depth=false", "record.video=false", *(sets or [])])
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        res = fly(m, tmp)
        wall = time.perf_counter() - t
    out = {"pilot": pilot, "seed": seed, "status": res.status, "wall_s": round(wall, 1),
           **{k: res.metrics.get(k) for k in KEYS}}
    out["success"] = bool(out["success"])
    log.info("%s room %d: %s, %s s to goal, %s collisions, %s overrides (%.0f s wall)", pilot, seed,
             "reached" if out["success"] else "missed", out["time_to_goal_s"], out["collisions"], out["overrides"],
             wall)
    return out


def _median(runs: list[dict], key: str, nd: int = 3) -> float | None:
    vals = [r[key] for r in runs if r.get(key) is not None]
    return round(statistics.median(vals), nd) if vals else None


def summarise(runs: list[dict]) -> dict:
    """One pilot's success count (95 % Wilson), medians over its successes and over all runs."""
    n, ok = len(runs), sum(r["success"] for r in runs)
    lo, hi = wilson(ok, n)
    wins = [r for r in runs if r["success"]]
    return {"n": n, "success": ok, "success_text": f"{ok}/{n}", "wilson_95": [round(lo, 3), round(hi, 3)],
            "mean_time_to_goal_s": round(statistics.fmean(r["time_to_goal_s"] for r in wins), 2) if wins else None,
            "median_time_to_goal_s": _median(wins, "time_to_goal_s", 2),
            "median_path_ratio": _median(wins, "path_ratio"),
            "collisions_total": sum(r["collisions"] or 0 for r in runs),
            "rooms_with_collisions": sum((r["collisions"] or 0) > 0 for r in runs),
            "median_overrides": _median(runs, "overrides", 1),
            "median_ego_motion_translation_error_m": _median(runs, "ego_motion_translation_error_m", 4),
            "median_ego_motion_rotation_error_deg": _median(runs, "ego_motion_rotation_error_deg"),
            "median_plan_latency_ms": _median(runs, "plan_latency_ms", 1),
            "median_ego_motion_fit_ms": _median(runs, "ego_motion_fit_ms", 1),
            "errors": [r["status"] for r in runs if r["status"] != "completed"],
            "runs": runs}


def _cell(v: float | None, fmt: str) -> str:
    return "–" if v is None else format(v, fmt)


def _fly(args: tuple) -> dict:
    if not logging.getLogger().handlers:  # a spawned worker: report each room as the parent does
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
        logging.getLogger("plansight").setLevel(logging.WARNING)
    return fly_room(*args)


def run(pilots: tuple[str, ...] = DEFAULT_PILOTS, seeds: range | list[int] = HELD_OUT_ROOMS,
        duration_s: float = 40.0, sets: list[str] | None = None, name: str = "drone_goals", workers: int = 1) -> dict:
    """Fly every pilot over ``seeds`` (in ``workers`` processes: the figures do not depend on it); write
    ``<name>.json`` / ``.md`` with ``bench.common.record``."""
    seeds = list(seeds)
    kind = ("held-out" if set(seeds) <= set(HELD_OUT_ROOMS) else
            "tuning" if set(seeds) <= set(TUNING_ROOMS) else "other")
    jobs = [(p, s, duration_s, sets) for p in pilots for s in seeds]
    if workers > 1:
        import multiprocessing as mp

        with mp.get_context("spawn").Pool(workers) as pool:
            flown = pool.map(_fly, jobs, chunksize=1)
    else:
        flown = [_fly(j) for j in jobs]
    per = {p: summarise([r for r in flown if r["pilot"] == p]) for p in pilots}
    figures = {"command": " ".join(["python -m bench.drone_goals", *sys.argv[1:]]) if __name__ == "__main__" else None,
               "missions": {p: PILOTS[p] for p in pilots}, "duration_s": duration_s, "seeds": seeds,
               "seed_kind": kind, "tuning_rooms": [TUNING_ROOMS.start, TUNING_ROOMS.stop - 1],
               "success_rule": "within task.success_radius_m (0.5 m) of the landmark, 0 collisions before",
               "sets": sets or [], "pilots": per}
    rows = "\n".join(
        f"| {p} (`{PILOTS[p]}`) | **{f['success']}/{f['n']}** | {100 * f['wilson_95'][0]:.0f}–{100 * f['wilson_95'][1]:.0f} % "
        f"| {_cell(f['mean_time_to_goal_s'], '.1f')} | {_cell(f['median_path_ratio'], '.2f')} "
        f"| {f['collisions_total']} ({f['rooms_with_collisions']} rooms) | {_cell(f['median_overrides'], '.0f')} "
        f"| {_cell(f['median_ego_motion_translation_error_m'], '.3f')} / "
        f"{_cell(f['median_ego_motion_rotation_error_deg'], '.2f')} "
        f"| {_cell(f['median_plan_latency_ms'], '.0f')} / {_cell(f['median_ego_motion_fit_ms'], '.0f')} |"
        for p, f in per.items())
    md = f"""## Goal missions for drones

Fly to the magenta panel in 5×5 m rooms (4 poles, 1 box), {duration_s:g} s, {kind} rooms {seeds[0]}–{seeds[-1]}
({len(seeds)} per pilot; pilots were tuned only in rooms {TUNING_ROOMS.start}–{TUNING_ROOMS.stop - 1}). Success: within 0.5 m of the
landmark with 0 collisions before. Time to goal and path ratio (flown ÷ the map's shortest path) are over
successes (time to goal a mean, path ratio a median); ego-motion error is per plan step (0.2 s) against the plan's true poses.

| Pilot (mission) | Reached | 95 % Wilson | Mean time to goal (s) | Path ratio | Collisions | Overrides | Ego-motion error (m / °) | Plan / ego-motion fit per step (ms) |
|---|---|---|---|---|---|---|---|---|
{rows}"""
    record(name, figures, md)
    return figures


def parse_seeds(text: str) -> list[int]:
    """'held-out' (1000-1019), 'tuning' (500-519), or a range/list like 500-504,510."""
    return parse_rooms(text, TUNING_ROOMS, HELD_OUT_ROOMS)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pilots", default=",".join(DEFAULT_PILOTS), help=f"comma-separated: {', '.join(PILOTS)}")
    ap.add_argument("--seeds", default="held-out", help="'held-out' (1000-1019), 'tuning' (500-519), or a range")
    ap.add_argument("--duration", type=float, default=40.0, help="simulated seconds per flight")
    ap.add_argument("--set", dest="sets", action="append", default=[], help="mission override KEY.PATH=VALUE")
    ap.add_argument("--name", default="drone_goals", help="results file name (<name>.json)")
    ap.add_argument("--workers", type=int, default=1, help="flight processes (the figures do not depend on it)")
    ap.add_argument("--out", default=None, help="results folder (default: $PLANSIGHT_BENCH_OUT or runs/bench)")
    args = ap.parse_args()
    pilots = tuple(args.pilots.split(","))
    unknown = [p for p in pilots if p not in PILOTS]
    if unknown:
        ap.error(f"unknown pilot(s) {', '.join(unknown)}; choose from {', '.join(PILOTS)}")
    try:
        seeds = parse_seeds(args.seeds)
    except ValueError:
        ap.error(f"--seeds {args.seeds!r}: give held-out, tuning, or a range like 500-509")
    if set(seeds) & set(HELD_OUT_ROOMS) and not set(seeds) <= set(HELD_OUT_ROOMS):
        ap.error("mixing held-out rooms (1000-1019) with other rooms")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    logging.getLogger("plansight").setLevel(logging.WARNING)
    if args.out:
        os.environ["PLANSIGHT_BENCH_OUT"] = args.out
    run(pilots, seeds, args.duration, args.sets, args.name, max(1, args.workers))


if __name__ == "__main__":
    main()
