"""Plans labelled by their verified outcome: the data a plan critic learns from (``plansight collect plans``).

For each start (task, camera, seed) the video model samples ``candidates`` plans in one batch from the first
observation; each plan is then executed from that same start (the arm is reset to the seed) with 0 replans, by the
same executor, configuration and executor seed as ``plansight eval metaworld``, and Meta-World's success flag
(AVDC's rule: the flag, then 10 more steps, within 500) labels it. Plans are stored at the model's resolution,
frame 0 (the observation) included: what the planner sees, and what a critic will be shown.

Layout of ``out/``:

* ``meta.json``: the model, sampler, executor configuration and resolution; a later run with other settings is
  refused (labels of two planners never mix);
* ``starts/<task>__<camera>__<seed>.npz``, one per start, written atomically: ``frames`` (n, F+1, h, w, 3) uint8,
  ``success`` (n,) bool, ``success_step`` (n,) int (−1: none), ``steps`` (n,) int, ``error`` (n,) str,
  ``object_path`` (n, 10, 3) float32 (the task object's world position, metres, at 10 evenly spaced steps of each
  execution). A killed run keeps whole starts, and a re-run labels only the starts that have no file;
* with ``record``, ``episodes/<task>__<camera>__<seed>.hdf5``: the start's successes replayed (their actions, on a
  fresh arm at the dataset's size) and recorded in ``collect metaworld``'s layout (RGB, depth, states, actions),
  written before the start's ``.npz``: the real videos an online round trains on.

Only tuning and training seeds may be labelled (test seeds 0–24 are refused): a critic is tuned on these labels.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from plansight.agent.contracts import Observation, VideoPlan
from plansight.agent.learning.labelled_plans import start_path, summarize_labels
from plansight.agent.learning.video_clips import resize_to
from plansight.agent.shared.atomic import atomic_path
from plansight.launch.rundir import write_json

log = logging.getLogger(__name__)

TEST_SEEDS = range(0, 25)  # Meta-World's test seeds: never labelled


@dataclass(frozen=True)
class LabelJob:
    """One worker's share: ``seeds`` of one (task, camera), on one arm kept across them."""

    task: str
    camera: str
    seeds: tuple[int, ...]
    checkpoint: str
    candidates: int
    width: int
    height: int
    sample_steps: int | None
    executor: tuple[tuple[str, str], ...]
    out: Path
    guidance_scale: float | None = None
    record: tuple[int, int] | None = None  # (width, height) successes are replayed and recorded at


class FixedPlanner:
    """A ``VideoPlanner`` that hands out given plans in order (the executor's first plan, then any replans)."""

    def __init__(self, plans: Iterable[VideoPlan]) -> None:
        self._plans = list(plans)

    @property
    def timings(self) -> Mapping[str, float]:
        return {}

    def plan(self, obs: Observation, task: str, camera: str, n: int = 1, seed: int | None = None) -> list[VideoPlan]:
        if not self._plans:
            raise RuntimeError("fixed planner: no plan left")
        return [self._plans.pop(0)]


PATH_SAMPLES = 10  # object positions kept per execution (evenly spaced over it) for the distinct-success measure


class _ObjectPath:
    """Observer keeping the task object's position (Meta-World state [4:7], metres, world frame) after every step."""

    def __init__(self) -> None:
        self.xyz: list[np.ndarray] = []

    def on_event(self, event) -> None:
        pass

    def on_step(self, arm, trace) -> None:
        self.xyz.append(np.asarray(arm.raw_obs[4:7], np.float32))

    def sampled(self) -> np.ndarray:
        """(PATH_SAMPLES, 3) positions evenly spaced over the execution (NaN when it took no step)."""
        if not self.xyz:
            return np.full((PATH_SAMPLES, 3), np.nan, np.float32)
        idx = np.linspace(0, len(self.xyz) - 1, PATH_SAMPLES).round().astype(int)
        return np.stack([self.xyz[i] for i in idx])


def label_start(arm, planner, task: str, camera: str, seed: int, candidates: int, executor_cfg,
                model_res: tuple[int, int], recorder=None) -> tuple[dict[str, np.ndarray], list]:
    """Sample ``candidates`` plans at the start ``seed`` and execute each from it (0 replans): the start's arrays
    and, with a ``recorder`` arm (the dataset's camera and size), each success replayed on it as a ``Demo`` (real
    rendered frames and depth; kept only if the replay succeeds too)."""
    from plansight.launch.arm_runner import ArmEpisode, ArmParts, run_arm_episode
    from plansight.sim.metaworld.collect import rollout

    arm.reset(seed)
    obs = arm.observe((camera,))
    plans = planner.plan(obs, task, camera, n=candidates, seed=seed * 100)
    rows: dict[str, list] = {"success": [], "success_step": [], "steps": [], "error": [], "object_path": []}
    demos = []
    for k, plan in enumerate(plans):
        path = _ObjectPath()
        outcome = run_arm_episode(arm, ArmEpisode(task, camera, seed, 0),
                                  ArmParts(planner=FixedPlanner([plan]), executor=executor_cfg), path)
        rows["success"].append(outcome.success)
        rows["success_step"].append(-1 if outcome.success_step is None else outcome.success_step)
        rows["steps"].append(outcome.steps)
        rows["error"].append(outcome.error or "")
        rows["object_path"].append(path.sampled())
        if recorder is not None and outcome.success:
            demo = rollout(recorder, seed, masks=False, actions=np.stack(arm.actions_taken))
            if demo.success:
                demos.append((k, demo))
            else:
                log.warning("%s/%s/seed %d plan %d: its replay did not succeed; not kept", task, camera, seed, k)
    frames = np.stack([resize_to(p.frames, model_res[1], model_res[0]) for p in plans])
    return {"frames": frames, "success": np.array(rows["success"], bool),
            "success_step": np.array(rows["success_step"], np.int64), "steps": np.array(rows["steps"], np.int64),
            "error": np.array(rows["error"], dtype=str), "object_path": np.stack(rows["object_path"])}, demos


def run_job(job: LabelJob) -> list[tuple[str, str, int, list[bool]]]:
    """Label ``job.seeds`` (skipping starts already on disk); (task, camera, seed, successes) per start labelled."""
    from plansight.agent.planning.video_planner import DiffusionVideoPlanner
    from plansight.launch.eval_metaworld import executor_config
    from plansight.sim.metaworld.arm_sim import MetaWorldArm
    from plansight.sim.metaworld.config_metaworld import make_config

    logging.getLogger("plansight.sim").setLevel(logging.WARNING)
    todo = [s for s in job.seeds if not start_path(job.out, job.task, job.camera, s).is_file()]
    if not todo:
        return []
    planner = DiffusionVideoPlanner(job.checkpoint, steps=job.sample_steps, guidance_scale=job.guidance_scale)
    c = planner.net.config
    cfg = executor_config(job.executor)
    arm = MetaWorldArm(make_config(task=job.task, cameras=(job.camera,), width=job.width, height=job.height))
    recorder = None
    if job.record is not None:
        recorder = MetaWorldArm(make_config(task=job.task, cameras=(job.camera,), width=job.record[0],
                                            height=job.record[1]))
    done = []
    try:
        for seed in todo:
            arrays, demos = label_start(arm, planner, job.task, job.camera, seed, job.candidates, cfg,
                                        (c.width, c.height), recorder)
            if recorder is not None:  # the successes first: the start's file marks the start as done
                write_demos(episodes_path(job.out, job.task, job.camera, seed), demos, recorder)
            path = start_path(job.out, job.task, job.camera, seed)
            with atomic_path(path) as tmp, open(tmp, "wb") as f:
                np.savez_compressed(f, **arrays)
            done.append((job.task, job.camera, seed, arrays["success"].tolist()))
    finally:
        arm.close()
        if recorder is not None:
            recorder.close()
    return done


def episodes_path(out: Path, task: str, camera: str, seed: int) -> Path:
    """The recorded successes of one start (a dataset in ``collect metaworld``'s layout, possibly empty)."""
    return out / "episodes" / f"{task}__{camera}__{seed}.hdf5"


def write_demos(path: Path, demos: list, recorder) -> None:
    """The start's replayed successes as a dataset file (written atomically; demo attribute ``plan``: which
    candidate it executed)."""
    from plansight.sim.metaworld.dataset import open_writer

    c = recorder.cfg
    env_args = {"benchmark": "metaworld", "tasks": [c.task], "cameras": list(c.cameras), "width": c.width,
                "height": c.height, "max_steps": c.max_steps, "depth": True, "masks": False,
                "source": "plansight collect plans: executed plans that succeeded, replayed"}
    with open_writer(path, env_args) as w:
        for k, demo in demos:
            name = w.add(demo)
            w.f["data"][name].attrs["plan"] = k


def check_meta(out: Path, meta: dict) -> None:
    """Write ``out/meta.json``, or check that an existing one has the same settings (``ValueError`` naming the
    first that differs)."""
    path = out / "meta.json"
    if path.is_file():
        old = json.loads(path.read_text())
        for k, v in meta.items():
            if old.get(k) != v:
                raise ValueError(f"{out} holds labels with {k}={old.get(k)!r}, not {v!r}: use another --out")
        return
    write_json(path, meta)


def label_plans(out: Path, tasks: list[str], cameras: list[str], seeds: list[int], checkpoint: str,
                candidates: int = 4, width: int = 320, height: int = 240, sample_steps: int | None = None,
                executor: tuple[tuple[str, str], ...] = (), workers: int = 1, seeds_per_job: int = 5,
                guidance_scale: float | None = None, record: tuple[int, int] | None = None,
                on_start: Callable[[int, int, tuple | None], None] | None = None) -> dict:
    """Label every start not yet in ``out``; returns counts (starts, plans, successes) over all of ``out``."""
    test = sorted(set(seeds) & set(TEST_SEEDS))
    if test:
        raise ValueError(f"seeds {test[0]}…: Meta-World's test seeds 0-24 are never labelled (a critic is tuned "
                         "on these labels)")
    if candidates < 1:
        raise ValueError(f"candidates must be at least 1, got {candidates}")
    meta = {"checkpoint": checkpoint, "candidates": candidates, "res": f"{width}x{height}",
            "sample_steps": sample_steps, "executor": dict(executor), "replans": 0}
    if guidance_scale is not None:
        meta["guidance_scale"] = guidance_scale
    if record is not None:
        meta["record"] = f"{record[0]}x{record[1]}"
    out.mkdir(parents=True, exist_ok=True)
    (out / "starts").mkdir(exist_ok=True)
    check_meta(out, meta)
    jobs = [LabelJob(t, c, tuple(seeds[i:i + seeds_per_job]), checkpoint, candidates, width, height, sample_steps,
                     executor, out, guidance_scale, record)
            for i in range(0, len(seeds), seeds_per_job) for t in tasks for c in cameras]
    total = len(tasks) * len(cameras) * len(seeds)
    n_done = sum(start_path(out, t, c, s).is_file() for t in tasks for c in cameras for s in seeds)
    if on_start:
        on_start(n_done, total, None)
    t0 = time.perf_counter()

    def finished(results: list) -> None:
        nonlocal n_done
        for r in results:
            n_done += 1
            if on_start:
                on_start(n_done, total, r)

    if workers <= 1:
        for j in jobs:
            finished(run_job(j))
    else:
        import multiprocessing as mp

        os.environ.setdefault("OMP_NUM_THREADS", "1")
        with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn")) as pool:
            for f in as_completed([pool.submit(run_job, j) for j in jobs]):
                finished(f.result())
    summary = summarize_labels(out)
    summary["seconds"] = round(time.perf_counter() - t0, 1)
    return summary
