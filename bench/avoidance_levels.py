"""Avoidance across room difficulty levels: the stereo mission, 60 s, over seeded rooms per level.

Per level (``room: {level: ...}``, sim/drone/config_drone.py): how many rooms the drone flew ≥ 20 m in
with 0 collisions (with a 95 % Wilson interval), the median distance and the collisions.

Seeds protocol (issue 21): the avoidance is tuned only on the tuning rooms 100–119 (``--seeds tuning``);
the reported figures come from the held-out rooms 1000–1019 (``--seeds held-out``, the default), which
are never used to tune anything.

    nice -n 10 .venv/bin/python -m bench.avoidance_levels                       # held-out, default + dense
    nice -n 10 .venv/bin/python -m bench.avoidance_levels --seeds tuning --levels dense
    nice -n 10 .venv/bin/python -m bench.avoidance_levels --seeds 100-104 --mode reactive

Without ``bench.run --record`` (``bench.common.RECORD``) the figures go to ``scratch_dir()``
(``$PLANSIGHT_BENCH_OUT`` or runs/bench/), as ``<name>.json`` and ``<name>.md``.
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

TUNING_ROOMS = range(100, 120)
"""Rooms the avoidance may be tuned in."""
HELD_OUT_ROOMS = range(1000, 1020)
"""Rooms the avoidance is never tuned in: the reported figures come from these."""
LEVELS = ("default", "dense")
MISSION = "drone_room_stereo"
SUCCESS_DISTANCE_M = 20.0


def fly_room(level: str, seed: int, duration_s: float = 60.0, mission: str = MISSION,
             sets: list[str] | None = None) -> dict:
    """Fly ``mission`` headless (no video, no ground-truth depth: neither changes the flight) in room ``seed``
    of difficulty ``level``; the run's metrics that this bench reports. An AR.Drone mission (``ardrone_room``)
    flies against the loopback emulator, whose simulator gets the room."""
    from plansight.launch.mission import load_mission
    from plansight.launch.runner import fly

    room = f"{{size_m: [5.0, 5.0], level: {level}}}"
    path = ROOT / f"launch/missions/{mission}.yaml"
    emb = "embodiment.emulator.sim" if load_mission(path).embodiment.type == "ardrone" else "embodiment"
    m = load_mission(path, {"seed": seed, "duration_s": duration_s},
                     [f"{emb}.room={room}", f"{emb}.ground_truth_depth=false", "record.video=false", *(sets or [])])
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        res = fly(m, tmp)
        wall = time.perf_counter() - t
    out = {"level": level, "seed": seed, "status": res.status, "wall_s": round(wall, 1),
           **{k: res.metrics.get(k) for k in ("distance_flown_m", "collisions", "mean_speed_mps")}}
    out["ok"] = bool(out["collisions"] == 0 and (out["distance_flown_m"] or 0.0) >= SUCCESS_DISTANCE_M)
    log.info("%s room %d: %.1f m, %d collisions (%.0f s wall)", level, seed, out["distance_flown_m"] or 0.0,
             out["collisions"], wall)
    return out


def summarise(runs: list[dict]) -> dict:
    """Success count with its 95 % Wilson interval, median distance and collisions of one level's runs."""
    n, ok = len(runs), sum(r["ok"] for r in runs)
    lo, hi = wilson(ok, n)
    dist = [r["distance_flown_m"] or 0.0 for r in runs]
    return {"n": n, "success": ok, "success_text": f"{ok}/{n}", "wilson_95": [round(lo, 3), round(hi, 3)],
            "median_distance_m": round(statistics.median(dist), 2) if dist else None,
            "collisions_total": sum(r["collisions"] for r in runs),
            "rooms_with_collisions": sum(r["collisions"] > 0 for r in runs), "runs": runs}


def run(levels: tuple[str, ...] = LEVELS, seeds: range | list[int] = HELD_OUT_ROOMS, duration_s: float = 60.0,
        mission: str = MISSION, sets: list[str] | None = None, name: str = "avoidance_levels",
        mode: str | None = "planner") -> dict:
    """Fly every level over ``seeds`` with the avoidance policy in ``mode`` (``planner``, ``reactive``, or None:
    the mission's own); write ``<name>.json`` / ``.md`` with ``bench.common.record``."""
    seeds = list(seeds)
    sets = [*([f"policy.mode={mode}"] if mode else []), *(sets or [])]
    tuning = set(seeds) <= set(TUNING_ROOMS)
    held_out = set(seeds) <= set(HELD_OUT_ROOMS)
    kind = "held-out" if held_out else "tuning" if tuning else "other"
    per_level = {lvl: summarise([fly_room(lvl, s, duration_s, mission, sets) for s in seeds]) for lvl in levels}
    figures = {"command": " ".join(["python -m bench.avoidance_levels", *sys.argv[1:]]) if __name__ == "__main__"
               else None,
               "mission": mission, "duration_s": duration_s, "seeds": seeds, "seed_kind": kind,
               "tuning_rooms": [TUNING_ROOMS.start, TUNING_ROOMS.stop - 1],
               "success_rule": f">= {SUCCESS_DISTANCE_M:g} m flown with 0 collisions", "sets": sets or [],
               "levels": per_level}
    rows = "\n".join(f"| {lvl} | **{f['success']}/{f['n']}** | {100 * f['wilson_95'][0]:.0f}–{100 * f['wilson_95'][1]:.0f} % "
                     f"| {f['median_distance_m']:.1f} | {f['collisions_total']} ({f['rooms_with_collisions']} rooms) |"
                     for lvl, f in per_level.items())
    extra = f" Overrides: `{' '.join(sets)}`." if sets else ""
    cue = "mono, AR.Drone emulator" if mission.startswith("ardrone") else "stereo" if "stereo" in mission else mission
    md = f"""## Avoidance across room levels ({cue}, {mode or 'mission'} mode)

`{mission}.yaml` with `room: {{level: ...}}`, {duration_s:g} s, {kind} rooms {seeds[0]}–{seeds[-1]} ({len(seeds)} per level;
the avoidance was tuned only in rooms {TUNING_ROOMS.start}–{TUNING_ROOMS.stop - 1}).{extra}

| Level | ≥ 20 m, 0 collisions | 95 % Wilson | Median distance (m) | Collisions |
|---|---|---|---|---|
{rows}"""
    record(name, figures, md)
    return figures


def parse_seeds(text: str) -> list[int]:
    """'held-out' (1000-1019), 'tuning' (100-119), or a range/list like 100-104,110."""
    return parse_rooms(text, TUNING_ROOMS, HELD_OUT_ROOMS)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--levels", default=",".join(LEVELS), help="comma-separated: easy, default, dense, maze")
    ap.add_argument("--seeds", default="held-out", help="'held-out' (1000-1019), 'tuning' (100-119), or a range/list")
    ap.add_argument("--duration", type=float, default=60.0, help="simulated seconds per flight")
    ap.add_argument("--mission", default=MISSION, help="bundled mission name")
    ap.add_argument("--mode", default="planner", choices=["planner", "reactive", "mission"],
                    help="avoidance mode to fly (mission: whatever the mission file says)")
    ap.add_argument("--set", dest="sets", action="append", default=[], help="mission override KEY.PATH=VALUE")
    ap.add_argument("--name", default="avoidance_levels", help="results file name (<name>.json)")
    ap.add_argument("--out", default=None, help="results folder (default: $PLANSIGHT_BENCH_OUT or runs/bench)")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    for noisy in ("plansight",):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    if args.out:
        os.environ["PLANSIGHT_BENCH_OUT"] = args.out
    seeds = parse_seeds(args.seeds)
    if set(seeds) & set(HELD_OUT_ROOMS) and not set(seeds) <= set(HELD_OUT_ROOMS):
        ap.error("mixing held-out rooms (1000-1019) with other rooms")
    run(tuple(args.levels.split(",")), seeds, args.duration, args.mission, args.sets, args.name,
        None if args.mode == "mission" else args.mode)


if __name__ == "__main__":
    main()
