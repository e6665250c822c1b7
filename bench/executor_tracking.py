"""Object tracking through oracle plans, against the truth: how far the executor's subgoals land from the
subgoals that the object's true motion gives, without running episodes.

    python -m bench.run --only executor_tracking --tracking-seeds 100-101

Each case is the first plan of an evaluation episode (11 tasks × 3 cameras × seeds, 24 frames at 320×240):
the observation at reset and the oracle's plan, cached in ``runs/tracking_plans/`` (rendered once). For each
tracker variant (``ExecutorConfig`` overrides, as in ``plansight eval metaworld --executor``) the subgoals are
extracted twice, by tracking and from the plan's true object poses (``object_tracker=truth``, no gripper
track), with the same sampled points; the errors are distances between the two, world metres. Seconds per episode of the tracked
and true executors differ by minutes; this bench takes seconds per variant, so it is the inner loop for trying
trackers, and the ablation bench (``executor_ablation``) the check that a better track gives more successes.
"""

from __future__ import annotations

import logging
import statistics
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench.common import record

log = logging.getLogger(__name__)
CACHE = Path("runs/tracking_plans")
CAMERAS = ("corner", "corner2", "corner3")

VARIANTS: dict[str, tuple[str, ...]] = {
    "rgb": ("plan_depth=false",),
    "rgb_dis2x": ("plan_depth=false", "flow=dis2x"),
    "rgbd_fit": ("icp_radius_m=null", "surface_gate=false"),
    "rgbd_fit_gripper": ("icp_radius_m=null", "surface_gate=false", "gripper_tracker=lk"),
    "default": (),
    "translation": ("motion=translation", "max_step_m=null"),
    "no_step_limit": ("max_step_m=null",),
    "occlusion_5cm": ("occlusion_m=0.05",),
}
"""Variant name → ``--executor`` overrides (``FIELD=VALUE``, the value YAML)."""


@dataclass(frozen=True)
class Case:
    task: str
    camera: str
    seed: int

    @property
    def path(self) -> Path:
        return CACHE / f"{self.task}_{self.camera}_{self.seed}.npz"


def render_case(case: Case) -> Path:
    """Reset the arm as ``run_episode`` does and save the observation and the oracle plan (24 frames, 320×240)."""
    from plansight.agent.shared.atomic import atomic_path
    from plansight.sim.metaworld.arm_sim import MetaWorldArm
    from plansight.sim.metaworld.config_metaworld import make_config
    from plansight.sim.metaworld.oracle import OraclePlanner

    if case.path.exists():
        return case.path
    arm = MetaWorldArm(make_config(task=case.task, cameras=(case.camera,), width=320, height=240))
    try:
        arm.reset(case.seed)
        obs = arm.observe((case.camera,))
        plan = OraclePlanner(arm, n_frames=24).plan(obs, case.task, case.camera)[0]
        cam = arm.cameras[case.camera]
        case.path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(case.path) as tmp, open(tmp, "wb") as f:
            np.savez_compressed(f, frames=plan.frames, plan_depth=plan.depth, poses=plan.object_poses,
                                depth=obs.depth[case.camera], mask=obs.masks[case.camera],
                                state=np.asarray(obs.state), intrinsics=np.array([cam.fx, cam.fy, cam.cx, cam.cy]),
                                T_body_cam=cam.T_body_cam, size=np.array([cam.width, cam.height]))
    finally:
        arm.close()
    return case.path


def load_case(case: Case):
    """(plan, obs-like dict, CameraModel) of a cached case."""
    from plansight.agent.contracts import CameraModel, VideoPlan

    z = np.load(case.path)
    fx, fy, cx, cy = (float(x) for x in z["intrinsics"])
    cam = CameraModel(name=case.camera, width=int(z["size"][0]), height=int(z["size"][1]), fx=fx, fy=fy, cx=cx,
                      cy=cy, T_body_cam=z["T_body_cam"])
    plan = VideoPlan(frames=z["frames"], camera=case.camera, task=case.task, object_poses=z["poses"],
                     depth=z["plan_depth"])
    return plan, {"depth": z["depth"], "mask": z["mask"], "state": z["state"]}, cam


def score_case(args: tuple[Case, tuple[str, ...]]) -> dict:
    """Subgoal errors of one variant on one case against the truth (same seed, so the same points)."""
    from plansight.agent.planning.subgoals import PlanError, extract_subgoals
    from plansight.launch.eval_metaworld import executor_config, parse_executor

    case, overrides = args
    plan, obs, cam = load_case(case)
    cfg = executor_config(parse_executor(overrides))
    # the reference is the object's true motion alone: no gripper track (it would carry the object its own way)
    truth_cfg = executor_config(parse_executor([*overrides, "object_tracker=truth", "gripper_tracker=null"]))
    tool = np.asarray(obs["state"][:3], dtype=np.float64) + np.asarray(cfg.controller.tool_offset_m)
    rec = {"task": case.task, "camera": case.camera, "seed": case.seed}
    try:
        t = time.perf_counter()
        got = extract_subgoals(plan, obs["mask"], obs["depth"], cam, cfg, seed=case.seed * 1000, tool=tool)
        rec["seconds"] = time.perf_counter() - t
        ref = extract_subgoals(plan, obs["mask"], obs["depth"], cam, truth_cfg, seed=case.seed * 1000, tool=tool)
    except PlanError as e:
        return {**rec, "error": str(e)}
    err = np.linalg.norm(got.subgoals - ref.subgoals, axis=1)
    return {**rec, "final_m": float(err[-1]), "max_m": float(err.max()), "mean_m": float(err.mean()),
            "mode_ok": got.mode == ref.mode, "mode": got.mode, "true_mode": ref.mode}


def cases(seeds: str) -> list[Case]:
    """11 tasks × 3 cameras × ``seeds`` (a range like 100-101 or a list; the test seeds 0–24 are refused)."""
    from plansight.agent.shared.ranges import parse_ints
    from plansight.sim.metaworld.tasks import TASKS

    values = parse_ints(seeds, "tracking seeds", bare_is_count=False)
    if set(values) & set(range(25)):
        raise ValueError(f"tracking seeds {seeds!r} overlap AVDC's test seeds 0-24: tune on others (e.g. 100-101)")
    return [Case(t, c, s) for t in TASKS for c in CAMERAS for s in values]


def summarize(rows: list[dict]) -> dict:
    ok = [r for r in rows if "error" not in r]
    tasks = sorted({r["task"] for r in rows})
    per_task = {t: statistics.median([r["final_m"] for r in ok if r["task"] == t] or [float("nan")]) for t in tasks}
    return {"cases": len(rows), "errors": len(rows) - len(ok),
            "final_median_m": statistics.median(r["final_m"] for r in ok),
            "final_within_5cm": sum(r["final_m"] <= 0.05 for r in ok) / len(rows),
            "max_median_m": statistics.median(r["max_m"] for r in ok),
            "mode_ok": sum(r["mode_ok"] for r in ok) / len(rows),
            "seconds_median": statistics.median(r["seconds"] for r in ok), "final_median_per_task_m": per_task}


def run(seeds: str = "100-101", workers: int = 2, variants: dict[str, tuple[str, ...]] | None = None) -> dict:
    variants = VARIANTS if variants is None else variants
    todo = cases(seeds)
    with ProcessPoolExecutor(workers) as pool:
        list(pool.map(render_case, [c for c in todo if not c.path.exists()]))
        results = {}
        for name, overrides in variants.items():
            rows = list(pool.map(score_case, [(c, overrides) for c in todo]))
            results[name] = {"overrides": list(overrides), **summarize(rows), "rows": rows}
            log.info("%s: final median %.3f m, within 5 cm %.1f %%, mode ok %.1f %%", name,
                     results[name]["final_median_m"], 100 * results[name]["final_within_5cm"],
                     100 * results[name]["mode_ok"])
    figures = {"seeds": sorted({c.seed for c in todo}), "cases": len(todo),
               "variants": {k: {kk: vv for kk, vv in v.items() if kk != "rows"} for k, v in results.items()}}
    record("executor_tracking", figures, markdown(figures))
    return results


def markdown(fig: dict) -> str:
    names = list(fig["variants"])
    tasks = sorted(fig["variants"][names[0]]["final_median_per_task_m"])
    lines = [f"Subgoal error against the true object motion, first plan of {fig['cases']} episodes (11 tasks × 3 "
             f"cameras × seeds {', '.join(map(str, fig['seeds']))}: tuning seeds, disjoint from the test seeds "
             "0–24; oracle plans of 24 frames at 320×240). Errors in cm.", "",
             "| variant | final, median | final ≤ 5 cm | path max, median | grasp/push as truth | s per plan |",
             "|---|---|---|---|---|---|"]
    for n in names:
        v = fig["variants"][n]
        over = " ".join(f"`{o}`" for o in v["overrides"]) or "defaults"
        lines.append(f"| {n} ({over}) | {100 * v['final_median_m']:.1f} | {100 * v['final_within_5cm']:.0f} % | "
                     f"{100 * v['max_median_m']:.1f} | {100 * v['mode_ok']:.0f} % | {v['seconds_median']:.2f} |")
    lines += ["", "Final-subgoal error per task (median, cm):", "", "| task | " + " | ".join(names) + " |",
              "|---|" + "---|" * len(names)]
    for t in tasks:
        lines.append(f"| {t} | " + " | ".join(f"{100 * fig['variants'][n]['final_median_per_task_m'][t]:.1f}"
                                              for n in names) + " |")
    return "\n".join(lines)
