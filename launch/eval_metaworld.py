"""``plansight eval metaworld``: the AVDC protocol on Meta-World with a video planner and the flow executor.

Per (task, camera, seed) one episode: plan from the first observation, execute, replan when the hand
stalls (at most ``replans`` times), success = Meta-World's success flag reached and 10 more steps, all
within 500 steps (AVDC). Per-task success is over seeds × cameras; overall is the mean over the
(task, camera) rates (AVDC: 33 of them).

Results go to ``<out>/episodes.jsonl``: one JSON line per finished episode, appended with a single
``write`` + ``fsync`` (a killed run loses at most the episode in flight, never a half line is used:
partial last lines are ignored). Re-running the same command skips finished episodes; an episode's key
holds a hash of the effective ``ExecutorConfig``, so episodes run before the executor's defaults (or fields)
changed are run again rather than mixed in. Summary files
(``summary.json``, ``table.md``) are written atomically; sample videos go to ``<out>/videos/``.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Annotated

import numpy as np
import typer
import yaml
from pydantic import BaseModel, ValidationError
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from plansight.agent.planning.config_executor import ExecutorConfig, canonical_field
from plansight.agent.shared.atomic import JsonlAppender, read_jsonl
from plansight.agent.shared.ranges import parse_ints
from plansight.agent.shared.stats import rate_text
from plansight.launch.arm_runner import (
    EXTRA_STEPS,
    TIMING_KEYS,
    ArmEpisode,
    ArmParts,
    EpisodeObserver,
    EpisodeOutcome,
    run_arm_episode,
)
from plansight.launch.errors import console, fail
from plansight.launch.errors import out as stdout

log = logging.getLogger(__name__)

__all__ = ["EXTRA_STEPS", "EpisodeSpec", "evaluate", "run_episode", "summarize"]


@dataclass(frozen=True)
class EpisodeSpec:
    task: str
    camera: str
    seed: int
    replans: int
    width: int = 320
    height: int = 240
    planner: str = "oracle"
    plan_frames: int = 8
    video: Path | None = None
    checkpoint: str | None = None  # learned planners: the model folder
    sample_steps: int | None = None  # learned planners: DDIM steps (None: the checkpoint's)
    plan_res: tuple[int, int] | None = None  # predicted frames degraded to this (width, height) and back
    executor: tuple[tuple[str, str], ...] = ()  # ExecutorConfig overrides (field, YAML value), sorted by field
    planner_opts: tuple[tuple[str, str], ...] = ()  # the planner config's fields (field, YAML value), sorted
    policy: bool = False  # ``planner`` names an arm policy (registry slot ``arm_policy``): no plan, no executor
    max_steps: int = 500  # the episode budget (AVDC and Meta-World: 500)

    @property
    def key(self) -> str:
        key = f"{self.task}|{self.camera}|{self.seed}|{self.replans}|{self.plan_frames}|{self.width}x{self.height}"
        if self.policy:
            key += f"|policy={self.planner}|{self.checkpoint}"
        elif self.planner != "oracle":  # learned plans also depend on the model and the sampler
            key += f"|{self.planner}|{self.checkpoint}|{self.sample_steps}"
        if self.plan_res is not None:
            key += f"|plan_res={self.plan_res[0]}x{self.plan_res[1]}"
        if self.executor:
            key += "|executor=" + ",".join(f"{k}={v}" for k, v in self.executor)
        if self.planner_opts:
            key += "|planner_opts=" + ",".join(f"{k}={v}" for k, v in self.planner_opts)
        if self.max_steps != 500:
            key += f"|max_steps={self.max_steps}"
        if self.policy:
            return key
        return key + f"|cfg={config_hash(self.executor_config())}"

    def executor_config(self) -> ExecutorConfig:
        """The executor's constants: the defaults with this episode's overrides (built once per distinct set of
        overrides: ``key`` needs it, and an evaluation reads the keys of all its episodes several times)."""
        return _cached_executor_config(self.executor)


def config_hash(cfg: ExecutorConfig) -> str:
    """10 hex digits identifying every field of the effective executor configuration: an episode log resumed
    after the executor's defaults changed reruns its episodes instead of mixing two executors."""
    return hashlib.sha1(json.dumps(cfg.flat(), sort_keys=True).encode()).hexdigest()[:10]


@functools.lru_cache(maxsize=64)
def _cached_executor_config(pairs: tuple[tuple[str, str], ...]) -> ExecutorConfig:
    return executor_config(pairs)  # ExecutorConfig is frozen: one instance can serve every episode


def executor_config(pairs: Iterable[tuple[str, str]]) -> ExecutorConfig:
    """The defaults with (field, YAML value) overrides applied, as ``parse_executor`` returns them."""
    return ExecutorConfig.from_overrides({k: yaml.safe_load(v) for k, v in pairs})


def parse_executor(items: Iterable[str]) -> tuple[tuple[str, str], ...]:
    """``["gripper_tracker=lk", "gain=25"]`` → sorted (field, value) pairs, validated against ``ExecutorConfig``
    (values are YAML: ``null``, ``0.04``, ``[0, 0, -0.045]``); ``ValueError`` otherwise."""
    parsed = _field_values(items, "executor", " (e.g. lk, 0.04, null, [0, 0, -0.045])")
    ExecutorConfig.from_overrides({name: value for name, (_, value) in parsed.items()})  # ValueError names the field
    return tuple(sorted((canonical_field(name) or name, text) for name, (text, _) in parsed.items()))


def _field_values(items: Iterable[str], what: str, example: str = "") -> dict[str, tuple[str, object]]:
    """``FIELD=VALUE`` items → field → (the value's text, the value read as YAML); ``ValueError`` naming ``what``
    for an item without ``=`` or a value that is not YAML."""
    out: dict[str, tuple[str, object]] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"{what}: expected FIELD=VALUE, got {item!r}")
        try:
            out[name.strip()] = (value.strip(), yaml.safe_load(value))
        except yaml.YAMLError:
            raise ValueError(f"{what}: {item!r}: the value is not YAML{example}") from None
    return out


def planner_config(spec: EpisodeSpec) -> BaseModel:
    """The registered planner's config from the evaluation's generic planner options (``plan_frames``,
    ``checkpoint``, ``sample_steps``: each passed where the planner's config has that field) and ``planner_opts``."""
    from plansight.launch import registry

    cls = registry.config_class("arm_policy" if spec.policy else "planner", spec.planner)
    generic = {"plan_frames": spec.plan_frames, "checkpoint": spec.checkpoint, "sample_steps": spec.sample_steps}
    values = {k: v for k, v in generic.items() if k in cls.model_fields and v is not None}
    values.update({k: yaml.safe_load(v) for k, v in spec.planner_opts})
    return cls(**values)


def run_episode(spec: EpisodeSpec, observer: EpisodeObserver | None = None) -> dict:
    """Run one episode (``launch.arm_runner``); returns its JSON record (success, steps, plans, seconds and where
    they went). With ``spec.video`` the camera is recorded after every step."""
    from plansight.sim.metaworld.arm_sim import MetaWorldArm
    from plansight.sim.metaworld.config_metaworld import make_config

    t_start = time.perf_counter()
    rec: dict = {"key": spec.key, **{k: v for k, v in asdict(spec).items() if k not in ("video", "planner_opts")}}
    if spec.planner_opts:
        rec["planner_opts"] = dict(spec.planner_opts)
    frames = _FrameRecorder(spec.camera, observer) if spec.video is not None else observer
    arm = MetaWorldArm(make_config(task=spec.task, cameras=(spec.camera,), width=spec.width, height=spec.height,
                                   max_steps=spec.max_steps))
    try:
        try:
            parts = (ArmParts(arm_policy=planner_config(spec)) if spec.policy else
                     ArmParts(planner=planner_config(spec), executor=spec.executor_config(), plan_res=spec.plan_res))
        except (ValueError, ValidationError) as e:
            outcome = EpisodeOutcome(False, None, 0, 0, [], f"{type(e).__name__}: {e}",
                                     dict.fromkeys(TIMING_KEYS, 0.0))
        else:
            outcome = run_arm_episode(arm, ArmEpisode(spec.task, spec.camera, spec.seed, spec.replans), parts, frames)
    finally:
        arm.close()
    rec.update(success=outcome.success, success_step=outcome.success_step, steps=outcome.steps, plans=outcome.plans,
               modes=outcome.modes, error=outcome.error, seconds=time.perf_counter() - t_start, timing=outcome.timing)
    if spec.video is not None and frames.frames:
        from plansight.launch.video import VideoRecorder

        spec.video.parent.mkdir(parents=True, exist_ok=True)
        rec_v = VideoRecorder(spec.video, fps=40.0)
        for f in frames.frames:
            rec_v.add(f)
        rec_v.close()
        rec["video"] = str(spec.video)
    return rec


class _FrameRecorder:
    """Keeps the camera's frame after every step (the evaluation's sample videos), then calls ``inner``."""

    def __init__(self, camera: str, inner: EpisodeObserver | None) -> None:
        self.camera, self.inner, self.frames = camera, inner, []

    def on_event(self, event) -> None:
        if self.inner is not None:
            self.inner.on_event(event)

    def on_step(self, arm, trace) -> None:  # trace: the executor's PlanTrace on demand
        self.frames.append(arm.observe((self.camera,), depth=False, masks=False).images[self.camera])
        if self.inner is not None:
            self.inner.on_step(arm, trace)


# --------------------------------------------------------------------------------------------------
# The evaluation: resumable episode log, parallel workers, summary
# --------------------------------------------------------------------------------------------------

def read_log(path: Path) -> dict[str, dict]:
    """Finished episodes in ``episodes.jsonl`` by key; a torn last line (killed mid-write) is ignored."""
    return {rec["key"]: rec for rec in read_jsonl(path) if isinstance(rec, dict) and "key" in rec}


def append_log(path: Path, rec: dict) -> None:
    """Append one JSON line with a single ``write`` then ``fsync`` (whole lines from one writer)."""
    with JsonlAppender(path, fsync_each=True, sort_keys=True) as out:
        out.append(rec)


def episode_specs(tasks: Iterable[str], cameras: Iterable[str], seeds: Iterable[int], replans: Iterable[int],
                  width: int, height: int, planner: str, plan_frames: int, out: Path,
                  videos_per_task: int = 1, checkpoint: str | None = None, sample_steps: int | None = None,
                  plan_res: tuple[int, int] | None = None, executor: tuple[tuple[str, str], ...] = (),
                  planner_opts: tuple[tuple[str, str], ...] = (), policy: bool = False,
                  max_steps: int = 500) -> list[EpisodeSpec]:
    """All episodes of an evaluation, seed by seed (an interrupted run leaves whole seeds done); the first
    ``videos_per_task`` cameras of the first seed record an mp4 per task and replanning setting."""
    tasks, cameras, seeds, replans = list(tasks), list(cameras), list(seeds), list(replans)
    specs = []
    for i, s in enumerate(seeds):
        for r in replans:
            for t in tasks:
                for j, c in enumerate(cameras):
                    video = None
                    if i == 0 and j < videos_per_task:
                        video = out / "videos" / f"{t}_{c}_seed{s}_replan{r}.mp4"
                    specs.append(EpisodeSpec(t, c, s, r, width, height, planner, plan_frames, video, checkpoint,
                                             sample_steps, plan_res, executor, planner_opts, policy, max_steps))
    return specs


def complete_seeds(specs: list[EpisodeSpec], done: dict[str, dict]) -> list[dict]:
    """Records of the seeds whose every episode (all tasks, cameras, settings) is finished."""
    by_seed: dict[int, list[EpisodeSpec]] = {}
    for s in specs:
        by_seed.setdefault(s.seed, []).append(s)
    return [done[s.key] for seed_specs in by_seed.values() if all(s.key in done for s in seed_specs)
            for s in seed_specs]


def missing(specs: list[EpisodeSpec], done: dict[str, dict]) -> str:
    """What ``done`` lacks of ``specs``, seed by seed (e.g. ``seed 3: 12 of 66 episodes (door-open/corner, …)``);
    empty when nothing is missing."""
    parts = []
    for seed in sorted({s.seed for s in specs}):
        todo = [s for s in specs if s.seed == seed and s.key not in done]
        if todo:
            cells = ", ".join(f"{s.task}/{s.camera}/{s.replans}r" for s in todo[:4]) + (", …" if len(todo) > 4 else "")
            parts.append(f"seed {seed}: {len(todo)} of {sum(s.seed == seed for s in specs)} episodes ({cells})")
    return "; ".join(parts)


def _run_logged(spec: EpisodeSpec) -> dict:
    logging.getLogger("plansight.sim").setLevel(logging.WARNING)
    return run_episode(spec)


def evaluate(specs: list[EpisodeSpec], out: Path, workers: int = 1,
             on_done: Callable[[int, int, dict | None], None] | None = None) -> list[dict]:
    """Run the episodes not yet in ``out/episodes.jsonl`` (in ``workers`` processes) and return all records."""
    out.mkdir(parents=True, exist_ok=True)
    log_path = out / "episodes.jsonl"
    done = read_log(log_path)
    todo = [s for s in specs if s.key not in done]
    n_total, n_done = len(specs), len(specs) - len(todo)
    stale = {k.rsplit("|cfg=", 1)[0] for k in done} & {s.key.rsplit("|cfg=", 1)[0] for s in todo}
    if stale:
        log.warning("%d episode(s) in %s were run with another executor configuration (its defaults changed); "
                    "they are run again", len(stale), log_path)
    log.info("%d episodes, %d already done, %d to run in %d process(es)", n_total, n_done, len(todo), workers)
    if on_done:
        on_done(n_done, n_total, None)
    if workers <= 1:
        for s in todo:
            rec = _run_logged(s)
            append_log(log_path, rec)
            done[rec["key"]] = rec
            n_done += 1
            if on_done:
                on_done(n_done, n_total, rec)
    else:
        import multiprocessing as mp

        # one OpenMP/BLAS thread per episode process (torch in learned planners reads this at import)
        os.environ.setdefault("OMP_NUM_THREADS", "1")
        with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn")) as pool:
            futures = [pool.submit(_run_logged, s) for s in todo]
            for f in as_completed(futures):
                rec = f.result()
                append_log(log_path, rec)
                done[rec["key"]] = rec
                n_done += 1
                if on_done:
                    on_done(n_done, n_total, rec)
    return [done[s.key] for s in specs]


def summarize(records: list[dict]) -> dict:
    """Per replanning setting: per-task success over seeds × cameras, per (task, camera), overall (AVDC: mean of
    the per-(task, camera) rates), seeds run, and seconds per episode with where they went (over the episodes
    that recorded no video)."""
    out: dict = {}
    for r in sorted({rec["replans"] for rec in records}):
        recs = [x for x in records if x["replans"] == r]
        tasks = list(dict.fromkeys(x["task"] for x in recs))
        per_tc = {}
        for x in recs:
            per_tc.setdefault(x["task"], {}).setdefault(x["camera"], []).append(bool(x["success"]))
        per_task = {t: float(np.mean([s for c in per_tc[t].values() for s in c])) for t in tasks}
        tc_rates = [float(np.mean(v)) for t in tasks for v in per_tc[t].values()]
        timing_keys = sorted({k for x in recs for k in x["timing"]})
        timed = [x for x in recs if "video" not in x] or recs  # recording an mp4 renders every step
        out[f"replans_{r}"] = {
            "replans": r,
            "episodes": len(recs),
            "seeds": sorted({x["seed"] for x in recs}),
            "per_task": per_task,
            "per_task_camera": {t: {c: float(np.mean(v)) for c, v in cams.items()} for t, cams in per_tc.items()},
            "overall": float(np.mean(tc_rates)) if tc_rates else 0.0,
            "errors": sum(1 for x in recs if x.get("error")),
            "seconds_per_episode": float(np.mean([x["seconds"] for x in timed])),
            "timing_per_episode": {k: float(np.mean([x["timing"].get(k, 0.0) for x in timed])) for k in timing_keys},
            "timed_episodes": len(timed),
            "plans_per_episode": float(np.mean([x["plans"] for x in recs])),
            "successes": sum(bool(x["success"]) for x in recs),
            "per_task_counts": {t: [sum(s for c in per_tc[t].values() for s in c),
                                    sum(len(c) for c in per_tc[t].values())] for t in tasks},
            "protocol_complete": _full_protocol(recs),
        }
    return out


PROTOCOL_EPISODES = 11 * 3 * 25
"""AVDC's protocol per replanning setting: 11 tasks × 3 cameras × test seeds 0–24."""


def _full_protocol(recs: list[dict]) -> bool:
    """Whether ``recs`` (one replanning setting) are exactly AVDC's 11 tasks × 3 cameras × seeds 0–24."""
    from plansight.sim.metaworld.config_metaworld import CAMERAS
    from plansight.sim.metaworld.tasks import TASKS

    cells = {(x["task"], x["camera"], x["seed"]) for x in recs}
    return len(recs) == PROTOCOL_EPISODES and cells == {(t, c, s) for t in TASKS for c in CAMERAS for s in range(25)}


AVDC_PUBLISHED = {  # VideoAgent v1 Table 1 (= AVDC paper): AVDC (no replan), AVDC-Replan, in %
    "door-open": (30.7, 72.0), "door-close": (28.0, 89.3), "basketball": (21.3, 37.3), "shelf-place": (8.0, 18.7),
    "button-press": (34.7, 60.0), "button-press-topdown": (17.3, 24.0), "faucet-close": (12.0, 53.3),
    "faucet-open": (17.3, 24.0), "handle-press": (41.3, 81.3), "hammer": (0.0, 8.0), "assembly": (5.3, 6.7),
}
AVDC_OVERALL = (19.6, 43.1)


def markdown_table(summary: dict, label: str = "Oracle") -> str:
    """Per-task success table (ours, ``label``, with and without replanning next to AVDC's published numbers): each
    rate with its successes / episodes and a 95 % Wilson interval. The overall rate stands beside AVDC's only when
    the setting ran the whole protocol (11 tasks × 3 cameras × seeds 0–24); otherwise its cell says how partial the
    run is."""
    settings = sorted(summary.values(), key=lambda s: s["replans"])
    order = list(AVDC_PUBLISHED)  # AVDC's table order (JSON round trips sort the keys)
    tasks = sorted(dict.fromkeys(t for s in settings for t in s["per_task"]),
                   key=lambda t: (order.index(t) if t in order else len(order), t))
    head = "| Task | " + " | ".join(f"{label}, {s['replans']} replans" for s in settings)
    head += " | AVDC (no replan) | AVDC-Replan |\n|---|" + "---|" * (len(settings) + 2) + "\n"
    rows = []
    def cell(s: dict, t: str) -> str:
        if t not in s["per_task"]:
            return "–"
        if "per_task_counts" in s:
            return rate_text(*s["per_task_counts"][t])
        return f"{100 * s['per_task'][t]:.1f}%"  # a summary written before counts were kept

    for t in tasks:
        avdc = AVDC_PUBLISHED.get(t, (float("nan"),) * 2)
        rows.append(f"| {t} | " + " | ".join(cell(s, t) for s in settings) + f" | {avdc[0]:.1f}% | {avdc[1]:.1f}% |")
    complete = all(s.get("protocol_complete", True) for s in settings)

    def overall(s: dict) -> str:
        if not s.get("protocol_complete", True):
            return (f"partial: {s['episodes']} of {PROTOCOL_EPISODES} episodes, "
                    f"{rate_text(s['successes'], s['episodes'])}")
        if "successes" in s:
            return f"**{rate_text(s['successes'], s['episodes'])}**"
        return f"**{100 * s['overall']:.1f}%**"

    avdc_overall = f" | {AVDC_OVERALL[0]:.1f}% | {AVDC_OVERALL[1]:.1f}% |" if complete else " | – | – |"
    rows.append("| **Overall** | " + " | ".join(overall(s) for s in settings) + avdc_overall)
    return head + "\n".join(rows) + "\n"


def write_summary(out: Path, records: list[dict], meta: dict) -> dict:
    """Write ``summary.json`` and ``table.md`` atomically; returns the summary."""
    from plansight.launch.rundir import write_atomic, write_json

    summary = summarize(records)
    write_json(out / "summary.json", {**meta, "settings": summary})
    label = meta.get("planner", "oracle").capitalize()
    write_atomic(out / "table.md", lambda f: f.write(markdown_table(summary, label)))
    return summary



# --------------------------------------------------------------------------------------------------
# CLI: plansight eval metaworld
# --------------------------------------------------------------------------------------------------

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Evaluate planners and executors.")


def parse_seeds(spec: str) -> list[int]:
    """``25`` → seeds 0–24; ``10-24`` → 10…24; ``3,5`` → [3, 5]; ``ValueError`` otherwise."""
    return parse_ints(spec, "seeds", bare_is_count=True)


@app.command("metaworld")
def eval_metaworld(
    planner: Annotated[str, typer.Option(help="video planner, a registry type: oracle, diffusion, …")] = "oracle",
    policy: Annotated[str | None, typer.Option(
        help="evaluate an arm policy instead of a planner, a registry type: act_jepa, expert (with --checkpoint "
             "where it needs one; --planner-opt sets its fields; replanning does not apply)")] = None,
    tasks: Annotated[str, typer.Option(
        help="comma-separated tasks, 'all' (the 11 AVDC tasks) or 'act-jepa-15' (ACT-JEPA's 15 tasks)")] = "all",
    cameras: Annotated[str, typer.Option(help="comma-separated cameras, or 'all'")] = "corner,corner2,corner3",
    seeds: Annotated[str, typer.Option(help="a count (25 = seeds 0-24), a range 0-24 or a list 3,5")] = "25",
    replan: Annotated[list[int] | None, typer.Option(
        help="max replans; repeat for several settings (default: 0 and 5, AVDC without and with)")] = None,
    res: Annotated[str, typer.Option(help="image size WIDTHxHEIGHT used for planning")] = "320x240",
    plan_frames: Annotated[int, typer.Option(min=2, max=64, help="frames per plan, the observed one included")] = 24,
    workers: Annotated[int, typer.Option(min=1, max=64, help="episode processes")] = 1,
    videos: Annotated[int, typer.Option(min=0, help="sample mp4s per task and setting")] = 1,
    out: Annotated[Path, typer.Option(help="results folder (re-run to resume)")] = Path("runs/eval_metaworld"),
    report_only: Annotated[bool, typer.Option(
        help="run nothing: summarise the seeds already complete in --out (e.g. while a run goes on)")] = False,
    checkpoint: Annotated[Path | None, typer.Option(
        help="learned planners: model folder from `plansight train video` (e.g. runs/video/model)")] = None,
    sample_steps: Annotated[int | None, typer.Option(
        min=1, max=1000, help="learned planners: DDIM steps (default: the checkpoint's)")] = None,
    plan_res: Annotated[str | None, typer.Option(
        help="degrade predicted frames to WIDTHxHEIGHT and back (e.g. the oracle at a video model's size)")] = None,
    executor: Annotated[list[str] | None, typer.Option(
        help="executor ablation FIELD=VALUE (agent/planning/config_executor.py), repeatable: "
             "--executor gripper_tracker=lk")] = None,
    planner_opt: Annotated[list[str] | None, typer.Option(
        help="a field of the planner's config FIELD=VALUE, repeatable: --planner-opt horizon=200")] = None,
    max_steps: Annotated[int, typer.Option(
        min=1, max=500, help="episode budget in env steps (AVDC's protocol: 500; ACT-JEPA's paper: 200)")] = 500,
    set_: Annotated[list[str] | None, typer.Option(
        "--set", help="as in a mission file: executor.PATH=VALUE or planner.FIELD=VALUE, repeatable: "
                      "--set executor.fit.motion=rigid --set planner.horizon=200")] = None,
) -> None:
    """AVDC's Meta-World protocol: success per task over seeds × cameras, with and without replanning."""
    from plansight.launch import registry
    from plansight.sim.metaworld.config_metaworld import CAMERAS, ConfigError, parse_list, parse_resolution, parse_tasks

    if policy is not None:
        if policy not in registry.names("arm_policy"):
            fail(f"policy: unknown arm policy {policy!r}; allowed: {', '.join(registry.names('arm_policy'))}")
        if replan or executor or plan_res:
            fail("--policy: an arm policy has no plans; drop --replan, --executor and --plan-res")
        planner, replan = policy, [0]
    elif planner not in registry.names("planner"):
        fail(f"planner: unknown planner {planner!r}; allowed: {', '.join(registry.names('planner'))}")
    replans = sorted(set(replan)) if replan else [0, 5]
    if any(r < 0 or r > 50 for r in replans):
        fail(f"replan: must be 0..50, got {replans}")
    for item in set_ or []:  # the mission-file spelling of --executor and --planner-opt
        key, sep, value = item.partition("=")
        part, _, rest = key.strip().partition(".")
        if not sep or part not in ("executor", "planner") or not rest:
            fail(f"--set: expected executor.PATH=VALUE or planner.FIELD=VALUE, got {item!r}")
        if part == "executor":
            executor = [*(executor or []), f"{rest}={value}"]
        else:
            planner_opt = [*(planner_opt or []), f"{rest}={value}"]
    try:
        task_list = parse_tasks(tasks)
        cam_list = parse_list(cameras, CAMERAS, "cameras")
        width, height = parse_resolution(res)
        seed_list = parse_seeds(seeds)
        low_res = parse_resolution(plan_res) if plan_res else None
        overrides = parse_executor(executor or [])
        opts = parse_planner_opts(planner_opt or [])
    except (ConfigError, ValueError) as e:
        fail(str(e))
    specs = episode_specs(task_list, cam_list, seed_list, replans, width, height, planner, plan_frames, out, videos,
                          str(checkpoint) if checkpoint else None, sample_steps, low_res, overrides, opts,
                          policy is not None, max_steps)
    _preflight(specs[0], task_list, width, height)
    if report_only:
        done = read_log(out / "episodes.jsonl")
        records = complete_seeds(specs, done)
        gaps = missing(specs, done)
        if gaps:
            console.print(f"missing in {out / 'episodes.jsonl'}: {gaps}", highlight=False, soft_wrap=True)
        if not records:
            fail(f"no seed is complete yet in {out / 'episodes.jsonl'}")
        seed_list = sorted({r["seed"] for r in records})
    else:
        records = _run_all(specs, out, workers)
    meta = {"planner": planner, "policy": policy is not None, "checkpoint": str(checkpoint) if checkpoint else None,
            "sample_steps": sample_steps, "plan_res": plan_res, "executor": dict(overrides),
            "tasks": task_list, "cameras": cam_list, "seeds": seed_list, "width": width,
            "height": height, "plan_frames": plan_frames, "max_steps": max_steps,
            "command": "plansight eval metaworld " + " ".join(a for a in _argv() if a != "--report-only")}
    summary = write_summary(out, records, meta)
    stdout.print(markdown_table(summary, planner.capitalize()), highlight=False, markup=False, soft_wrap=True)
    if policy is not None:
        bench = "act_jepa   (reads runs/eval_act_jepa and runs/eval_act)"
    elif overrides:
        bench = "executor_ablation --ablation-record-only   (reads runs/ablation_executor/<variant>)"
    elif planner == "oracle" and not plan_res:
        bench = "metaworld_oracle --mw-record-only"
    else:
        bench = "video_planner   (reads runs/eval_video and runs/eval_oracle_8f_64x48)"
    where = ("python -m bench.run --only " + bench if (Path.cwd() / "bench" / "run.py").is_file()
             else f"make bench from a clone of the repository (python -m bench.run --only {bench})")
    console.print(f"wrote {out / 'summary.json'}, {out / 'table.md'}, {out / 'episodes.jsonl'}; record it in "
                  f"BENCHMARKS.md with: {where}", highlight=False, soft_wrap=True)


def parse_planner_opts(items: Iterable[str]) -> tuple[tuple[str, str], ...]:
    """``["horizon=200"]`` → sorted (field, YAML value) pairs; ``ValueError`` on a malformed item."""
    return tuple(sorted((name, text) for name, (text, _) in _field_values(items, "planner-opt").items()))


def _preflight(spec: EpisodeSpec, tasks: list[str], width: int, height: int) -> None:
    """Fail before any episode runs: a planner config that does not validate, or what the planner's registry
    ``preflight`` rejects (a checkpoint that does not load, lacks a task or the evaluation's aspect ratio)."""
    from plansight.launch import registry
    from plansight.launch.mission import describe_error

    try:
        cfg = planner_config(spec)
    except ValidationError as e:
        err = e.errors(include_url=False)[0]
        field = ".".join(str(x) for x in err["loc"]) or "planner"
        flag = f"--{field.replace('_', '-')}" if field in ("checkpoint", "sample_steps") else f"--planner-opt {field}="
        if err["type"] == "missing":
            what, trainer = ("policy", "jepa") if spec.policy else ("planner", "video")
            fail(f"{field}: the {spec.planner} {what} needs {flag}"
                 + (f" (a model folder from `plansight train {trainer}`)" if field == "checkpoint" else ""))
        fail(f"planner {spec.planner}: {field} ({flag}): {err['msg']}")
    except ValueError as e:
        fail(f"planner {spec.planner}: {e}")
    check = registry.preflight("arm_policy" if spec.policy else "planner", spec.planner)
    if check is not None:
        try:
            check(cfg, tasks, width, height)
        except ValidationError as e:
            fail(f"planner {spec.planner}: {describe_error(e)}")
        except ValueError as e:
            fail(str(e))


def _run_all(specs: list[EpisodeSpec], out: Path, workers: int) -> list[dict]:
    with Progress(TextColumn("[bold]eval metaworld"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("{task.fields[info]}"), TimeRemainingColumn(), console=console) as progress:
        bar = progress.add_task("episodes", total=len(specs), info="")
        wins = {"n": 0, "ok": 0}

        def on_done(k: int, n: int, rec: dict | None) -> None:
            if rec is not None:
                wins["n"] += 1
                wins["ok"] += bool(rec["success"])
            info = f"{wins['ok']}/{wins['n']} succeeded this run" if wins["n"] else ""
            progress.update(bar, completed=k, total=n, info=info)

        return evaluate(specs, out, workers, on_done)


def _argv() -> list[str]:
    import sys

    argv = sys.argv
    return argv[argv.index("metaworld") + 1:] if "metaworld" in argv else argv[1:]
