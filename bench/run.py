"""``make bench``: run every benchmark, write bench/results/*.json and update BENCHMARKS.md.

    python -m bench.run --record        # everything, and record it (what `make bench` runs)
    python -m bench.run                 # everything, figures to runs/bench/ only
    python -m bench.run --seeds 3       # fewer mission seeds
    python -m bench.run --only persistent_ssl --ssl-minutes 2
    python -m bench.run --only airsim
    python -m bench.run --only video_planner --video-seeds 3
    python -m bench.run --only executor_ablation --ablation-seeds 2 --ablation-workers 2
    python -m bench.run --only fuzz --fuzz-scale 0.01
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

from bench import (
    act_jepa,
    airsim,
    ardrone,
    arm_trajectories,
    avoidance_levels,
    common,
    drone_foundation,
    drone_goals,
    executor_ablation,
    executor_tracking,
    fuzz,
    hilp,
    metaworld_oracle,
    metaworld_sac,
    mono_depth,
    persistent_ssl,
    plan_format,
    rl,
    rl_crossing,
    video_planner,
    video_rgbd,
)

BENCHES = {"drone_foundation": drone_foundation.run, "persistent_ssl": persistent_ssl.run, "airsim": airsim.run,
           "ardrone": ardrone.run, "metaworld_oracle": metaworld_oracle.run, "video_planner": video_planner.run,
           "executor_ablation": executor_ablation.run, "executor_tracking": executor_tracking.run,
           "arm_trajectories": arm_trajectories.run, "fuzz": fuzz.run, "rl": rl.run,
           "avoidance_levels": avoidance_levels.run, "plan_format": plan_format.run,
           "metaworld_sac": metaworld_sac.run, "rl_crossing": rl_crossing.run, "video_rgbd": video_rgbd.run,
           "hilp": hilp.run, "act_jepa": act_jepa.run, "mono_depth": mono_depth.run,
           "mono_depth_stability": mono_depth.stability, "drone_goals": drone_goals.run}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, default=10, help="mission seeds for the avoidance evaluation")
    ap.add_argument("--only", choices=sorted(BENCHES), action="append", help="run only these benchmarks")
    ap.add_argument("--record", action="store_true",
                    help="update bench/results and BENCHMARKS.md (refused for a run smaller than the section's "
                         "protocol); without it, figures go to runs/bench/")
    ap.add_argument("--ssl-minutes", type=float, default=10.0, help="simulated minutes of online learning")
    ap.add_argument("--ssl-stability-minutes", type=float, default=30.0,
                    help="mono depth stability: simulated minutes of the persistent-SSL flight")
    ap.add_argument("--ssl-flight-seeds", type=int, default=5, help="unseen rooms flown per strategy")
    ap.add_argument("--ssl-flight-seconds", type=float, default=60.0)
    ap.add_argument("--ardrone-missions", type=int, default=3, help="emulated AR.Drone missions for the jitter figures")
    ap.add_argument("--ardrone-seconds", type=float, default=30.0)
    ap.add_argument("--airsim-seconds", type=float, default=20.0, help="simulated seconds of the AirSim mission")
    ap.add_argument("--mw-seeds", type=int, default=25, help="Meta-World oracle evaluation: seeds per camera")
    ap.add_argument("--mw-workers", type=int, default=1, help="Meta-World oracle evaluation: episode processes")
    ap.add_argument("--mw-record-only", action="store_true",
                    help="Meta-World: record runs/eval_metaworld/summary.json without running episodes")
    ap.add_argument("--video-checkpoint", type=Path, default=Path("launch/models/video_mw_64x48"),
                    help="video planner benchmark: the model folder")
    ap.add_argument("--video-seeds", type=int, default=3, help="video planner benchmark: held-out seeds for quality")
    ap.add_argument("--ablation-seeds", default="100-101",
                    help="executor ablation: tuning seeds, a range or list (never the test seeds 0-24)")
    ap.add_argument("--ablation-workers", type=int, default=1, help="executor ablation: episode processes")
    ap.add_argument("--ablation-variant", action="append", dest="ablation_variants",
                    help="executor ablation: run only this variant (repeatable; default all)")
    ap.add_argument("--ablation-record-only", action="store_true",
                    help="executor ablation: compare what runs/ablation_executor holds, run nothing")
    ap.add_argument("--tracking-seeds", default="100-101", help="executor tracking: tuning seeds (not 0-24)")
    ap.add_argument("--tracking-workers", type=int, default=2, help="executor tracking: processes")
    ap.add_argument("--avoidance-seeds", default="held-out",
                    help="avoidance levels: held-out (1000-1019), tuning (100-119) or a range")
    ap.add_argument("--avoidance-levels", default="default,dense", help="avoidance levels: comma-separated levels")
    ap.add_argument("--format-cells", default=",".join(plan_format.CELLS), help="plan format: comma-separated cells")
    ap.add_argument("--format-seeds", default="100-100", help="plan format: tuning seeds (never 0-24)")
    ap.add_argument("--format-record-only", action="store_true", help="plan format: tabulate the cells already run")
    ap.add_argument("--sac-steps", type=int, default=20_000, help="Meta-World SAC: steps per task")
    ap.add_argument("--crossing-model", default="runs/rl/crossing", help="RL crossing: the model folder")
    ap.add_argument("--rgbd-checkpoint", type=Path, default=Path("runs/video_rgbd_cpu/model"),
                    help="RGB-D video planner: the model folder")
    ap.add_argument("--promote", action="append", default=[],
                    help="record a bench's finished scratch run (runs/bench/<name>.json) without running it again")
    ap.add_argument("--rgbd-replan", type=int, action="append", help="RGB-D video planner: replan settings (0, 5)")
    ap.add_argument("--rgbd-quality-seeds", default="100-102", help="RGB-D video planner: tuning seeds for quality")
    ap.add_argument("--fuzz-scale", type=float, default=1.0, help="fuzz: fraction of the protocol's case counts")
    args = ap.parse_args()
    common.RECORD = args.record
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    for noisy in ("matplotlib", "OpenGL", "PIL"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    if args.promote:
        for name in args.promote:
            common.promote(name)
            print(f"recorded {name} from {common.scratch_dir() / (name + '.json')}")
        return
    chosen = args.only or sorted(BENCHES)
    if "drone_foundation" in chosen:
        figures = drone_foundation.run(n_seeds=args.seeds)
        print(json.dumps({k: v for k, v in figures.items() if k != "missions"}, indent=2))
    if "persistent_ssl" in chosen:
        figures = persistent_ssl.run(minutes=args.ssl_minutes, n_flight_seeds=args.ssl_flight_seeds,
                                     flight_seconds=args.ssl_flight_seconds)
        print(json.dumps({k: figures[k] for k in ("mono_inference_fps_batch1_median", "training_samples_per_s_median",
                                                   "distance_per_collision_m")}, indent=2))
    if "mono_depth" in chosen:
        figures = mono_depth.run()
        print(json.dumps({k: figures[k] for k in ("mono_to_stereo_abs_rel_ratio", "ratio_ci95",
                                                   "mono_inference_fps_batch1_median")}, indent=2))
    if "mono_depth_stability" in chosen:
        figures = mono_depth.stability(args.ssl_stability_minutes)
        print(json.dumps({k: figures[k] for k in ("minutes_5_10", "last_5_minutes", "stable")}, indent=2))
    if "drone_goals" in chosen:
        figures = drone_goals.run()
        print(json.dumps({p: f["success_text"] for p, f in figures["pilots"].items()}, indent=2))
    if "metaworld_oracle" in chosen:
        figures = (metaworld_oracle.record_summary() if args.mw_record_only
                   else metaworld_oracle.run(seeds=args.mw_seeds, workers=args.mw_workers))
        print(json.dumps({k: v["overall"] for k, v in figures["settings"].items()}, indent=2))

    if "video_planner" in chosen:
        figures = video_planner.run(args.video_checkpoint, seeds=args.video_seeds)
        print(json.dumps({"latency": figures["latency"], "quality": figures["quality"]["overall"]}, indent=2))
    if "executor_ablation" in chosen:
        figures = (executor_ablation.record_ablation() if args.ablation_record_only
                   else executor_ablation.run(seeds=args.ablation_seeds, workers=args.ablation_workers,
                                                only=args.ablation_variants))
        print(json.dumps({k: v["overall"] for k, v in figures["variants"].items()}, indent=2))
    if "executor_tracking" in chosen:
        results = executor_tracking.run(seeds=args.tracking_seeds, workers=args.tracking_workers)
        print(json.dumps({k: v["final_median_m"] for k, v in results.items()}, indent=2))
    if "arm_trajectories" in chosen:
        figures = arm_trajectories.run()
        print(json.dumps({k: figures[k] for k in ("identical", "cases", "reference_commit")}, indent=2))
    if "fuzz" in chosen:
        for noisy in ("plansight", "OpenGL"):
            logging.getLogger(noisy).setLevel(logging.ERROR)  # servers log every refused case
        figures = fuzz.run(scale=args.fuzz_scale)
        print(json.dumps({k: {m: figures[k][m] for m in ("total", "crashes", "hangs_over_1s", "unsafe")}
                          for k in ("navdata", "at", "pave", "rpc")}, indent=2))
        for noisy in ("plansight", "OpenGL"):
            logging.getLogger(noisy).setLevel(logging.INFO)
    if "avoidance_levels" in chosen:
        figures = avoidance_levels.run(tuple(args.avoidance_levels.split(",")),
                                       avoidance_levels.parse_seeds(args.avoidance_seeds))
        print(json.dumps({k: v["success_text"] for k, v in figures["levels"].items()}, indent=2))
    if "plan_format" in chosen:
        figures = plan_format.run(args.format_cells.split(","), args.format_seeds, args.format_record_only)
        print(json.dumps({r["cell"]: f"{r['success']}/{r['episodes']}" for r in figures["cells"]}, indent=2))
    if "metaworld_sac" in chosen:
        figures = metaworld_sac.run(steps=args.sac_steps)
        print(json.dumps({r["task"]: r["final"] for r in figures["tasks"]}, indent=2))
    if "rl_crossing" in chosen and not (Path(args.crossing_model) / "model.zip").is_file():
        logging.warning("rl_crossing skipped: no model in %s (plansight train rl --env crossing --out %s)",
                        args.crossing_model, args.crossing_model)
    elif "rl_crossing" in chosen:
        figures = rl_crossing.run(args.crossing_model)
        print(json.dumps({p: {lvl: v["success_text"] for lvl, v in r.items()} for p, r in figures["policies"].items()},
                         indent=2))
    if "video_rgbd" in chosen and not (args.rgbd_checkpoint / "config.json").is_file():
        logging.warning("video_rgbd skipped: no model in %s (plansight train video --config "
                        "launch/configs/video_rgbd_cpu.yaml)", args.rgbd_checkpoint)
    elif "video_rgbd" in chosen:
        from plansight.agent.shared.ranges import parse_ints

        figures = video_rgbd.run(args.rgbd_checkpoint, [100], quality_seeds=tuple(
            parse_ints(args.rgbd_quality_seeds, "quality seeds", bare_is_count=False)),
            replans=tuple(args.rgbd_replan or (0, 5)))
        print(json.dumps({k: {s: v["overall"] for s, v in r["settings"].items()} for k, r in figures["success"].items()},
                         indent=2))
    if "hilp" in chosen:
        figures = hilp.run()
        print(json.dumps({"zero_shot": figures["zero_shot"]["reached"],
                          "direct": figures["direct_goal_conditioned_ppo"]["reached"]}))
    if "act_jepa" in chosen:
        figures = act_jepa.run()
        print(json.dumps({k: v["overall"] for k, v in figures["success"].items()}, indent=2))
    if "rl" in chosen:
        figures = rl.run()
        print(json.dumps({t: figures[t]["evaluation"] for t in ("hover", "waypoint")}, indent=2))
    if "ardrone" in chosen:
        figures = ardrone.run(n_missions=args.ardrone_missions, seconds=args.ardrone_seconds)
        print(json.dumps({k: v for k, v in figures.items() if k != "missions"}, indent=2))
    if "airsim" in chosen:
        figures = airsim.run(seconds=args.airsim_seconds)
        print(json.dumps({"rpc": figures["rpc"], "mission": figures["mission"]}, indent=2))


if __name__ == "__main__":
    main()
