"""``plansight improve``: online self-improvement from verified successes (VideoAgent-Online, with B-STaR's
monitors), resumable round by round and stage by stage.

Round r, in ``out/round_<r>/`` (each stage skipped when its output exists, so a killed round resumes where it
stopped and never labels, records or counts a start twice):

1. ``labels/``: the round's model samples n plans per start on its training seeds (``ImproveConfig``: ≥ 1000,
   disjoint between rounds), each is executed (0 replans) and labelled by Meta-World's success flag; each success
   is replayed on a fresh arm and recorded (RGB and depth at the expert data's size): ``plansight collect plans``.
2. ``monitors.json``: B-STaR's monitors (``agent.learning.bstar``) with the round's critic, and the next round's n
   and guidance from them.
3. ``successes.hdf5``: the round's recorded successes as one dataset (the real rendered videos).
4. ``video/``: the model finetuned from the round's model on the expert data and every round's successes so far
   (``plansight train video`` with ``init``; resumable from ``video/state``).
5. ``refiner/`` (when configured): the refiner retrained on the new model's own plans.
6. ``critic/``: the critic retrained on ``critic_labels`` and every round's labels (kept from the previous round
   when a split lacks successes or failures).
7. ``round.json``: what the next round starts from (model, refiner, critic, n, guidance) and the round's figures.

A round's success on the test seeds is measured separately (``plansight eval metaworld`` with the round's model;
the README's commands), never inside the loop, which sees training seeds only.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from pathlib import Path

from plansight.launch.config_improve import ImproveConfig
from plansight.launch.rundir import write_json

log = logging.getLogger(__name__)


def round_seeds(cfg: ImproveConfig, r: int) -> list[int]:
    lo = cfg.first_seed + r * cfg.seeds_per_round
    return list(range(lo, lo + cfg.seeds_per_round))


def start_state(cfg: ImproveConfig, out: Path, r: int) -> dict:
    """What round ``r`` samples with: the previous round's ``round.json`` ``next``, or the configured start."""
    if r == 0:
        from plansight.agent.planning.video_planner import DiffusionVideoPlanner

        guidance = cfg.guidance
        if guidance is None:
            guidance = DiffusionVideoPlanner(cfg.base).diffusion.cfg.guidance_scale
        return {"model": cfg.base, "refiner": None, "critic": cfg.critic, "candidates": cfg.candidates,
                "guidance": guidance}
    prev = out / f"round_{r - 1}" / "round.json"
    if not prev.is_file():
        raise ValueError(f"round {r}: round {r - 1} is not finished ({prev} missing)")
    return json.loads(prev.read_text())["next"]


def run_round(cfg: ImproveConfig, out: Path, r: int, on_stage: Callable[[str], None] | None = None,
              on_start: Callable[[int, int, tuple | None], None] | None = None) -> dict:
    """Run (or finish) round ``r``; its ``round.json``."""
    rd = out / f"round_{r}"
    done = rd / "round.json"
    if done.is_file():
        return json.loads(done.read_text())
    t0 = time.perf_counter()
    state = start_state(cfg, out, r)
    stage = on_stage or (lambda s: log.info("round %d: %s", r, s))
    seeds = round_seeds(cfg, r)

    stage("label")
    from plansight.launch.plan_labels import label_plans

    label_plans(rd / "labels", list(cfg.tasks), list(cfg.cameras), seeds, state["model"], state["candidates"],
                cfg.width, cfg.height, guidance_scale=state["guidance"], workers=cfg.workers,
                record=(cfg.record_width, cfg.record_height), on_start=on_start)

    stage("monitors")
    mon = _monitors(cfg, rd, state)

    stage("successes")
    from plansight.sim.metaworld.dataset import merge_datasets, read_info

    successes = rd / "successes.hdf5"
    if not successes.is_file():
        merge_datasets(sorted((rd / "labels" / "episodes").glob("*.hdf5")), successes,
                       source=f"plansight improve round {r}: verified successes")
    n_demos = len(read_info(successes)["demos"])

    model = state["model"]
    all_successes = [str(p) for p in (out / f"round_{k}" / "successes.hdf5" for k in range(r + 1))
                     if read_info(p)["demos"]]  # files with no demo add nothing
    if all_successes:  # nothing verified yet: nothing to learn from
        stage("finetune video")
        model = _finetune_video(cfg, rd, state["model"], [*cfg.data, *all_successes])
    refiner = state.get("refiner")
    if cfg.refiner is not None:
        stage("refiner")
        refiner = _train_refiner(cfg, rd, model, [*cfg.data, *all_successes])
    stage("critic")
    critic = _train_critic(cfg, out, rd, r, state.get("critic"))
    n_next, g_next, why = mon["next"]
    doc = {"round": r, "seeds": [seeds[0], seeds[-1]], "sampled_with": state, "monitors": mon["monitors"],
           "successes_recorded": n_demos, "finetune_data": [*cfg.data, *all_successes],
           "next": {"model": model, "refiner": refiner, "critic": critic, "candidates": n_next, "guidance": g_next},
           "why": why, "seconds": round(time.perf_counter() - t0, 1)}
    write_json(done, doc)
    return doc


def _monitors(cfg: ImproveConfig, rd: Path, state: dict) -> dict:
    path = rd / "monitors.json"
    if path.is_file():
        return json.loads(path.read_text())
    from plansight.agent.learning.bstar import monitors, next_sampling
    from plansight.agent.learning.labelled_plans import load_labels

    data = load_labels(rd / "labels")
    scores = threshold = None
    if state.get("critic"):
        from plansight.agent.planning.critic import PlanCritic

        critic = PlanCritic(state["critic"])
        scores = critic.score_frames(data["frames"], data["task"], data["camera"])
        threshold = critic.threshold
    mon = monitors(data["success"], data["start"], data["task"], data["object_path"], scores, threshold,
                   cfg.rule.n_target)
    doc = {"monitors": mon, "next": list(next_sampling(mon, state["candidates"], state["guidance"], cfg.rule))}
    write_json(path, doc)
    return doc


def _finetune_video(cfg: ImproveConfig, rd: Path, init: str, data: list[str]) -> str:
    from plansight.agent.learning.train_video import train_video
    from plansight.agent.planning.config_video import DiffusionConfig, TrainVideoConfig
    from plansight.agent.shared.builtin import resolve_model

    out = rd / "video"
    meta_file = resolve_model(init) / "plansight_train.json"
    diffusion = DiffusionConfig(**json.loads(meta_file.read_text()).get("diffusion", {})) if meta_file.is_file() \
        else DiffusionConfig()
    tcfg = TrainVideoConfig(init=init, diffusion=diffusion, steps=cfg.video_steps, batch_size=cfg.video_batch,
                            learning_rate=cfg.video_lr, save_every=max(cfg.video_steps // 4, 1),
                            sample_every=cfg.video_steps)
    model = out / "model"
    finished = (out / "state" / "step.json").is_file() and json.loads(
        (out / "state" / "step.json").read_text())["step"] >= cfg.video_steps
    if not finished:
        train_video(data, out, tcfg, resume=(out / "state" / "step.json").is_file())
    return str(model)


def _train_refiner(cfg: ImproveConfig, rd: Path, model: str, data: list[str]) -> str:
    from plansight.agent.learning.train_refiner import train_refiner

    out = rd / "refiner"
    step_file = out / "state" / "step.json"
    if not (step_file.is_file() and json.loads(step_file.read_text())["step"] >= cfg.refiner.steps):
        train_refiner(data, model, out, cfg.refiner, resume=step_file.is_file())
    return str(out / "model")


def _train_critic(cfg: ImproveConfig, out: Path, rd: Path, r: int, previous: str | None) -> str | None:
    from plansight.agent.learning.train_critic import train_critic

    target = rd / "critic"
    if (target / "model.safetensors").is_file():
        return str(target)
    labels = [Path(p) for p in cfg.critic_labels] + [out / f"round_{k}" / "labels" for k in range(r + 1)]
    try:
        train_critic(labels, target, cfg.critic_train)
    except ValueError as e:
        log.warning("round %d: the critic is not retrained (%s); keeping %s", r, e, previous)
        return previous
    return str(target)


def improve(cfg: ImproveConfig, out: Path, rounds: int, **hooks) -> list[dict]:
    """Run rounds 0 … ``rounds`` − 1 (finished ones are read back); their ``round.json`` documents."""
    out.mkdir(parents=True, exist_ok=True)
    cfg_file = out / "improve.json"
    mine = cfg.model_dump(mode="json")
    if cfg_file.is_file():
        theirs = json.loads(cfg_file.read_text())
        if theirs != mine:
            differ = sorted(k for k in mine if theirs.get(k) != mine[k])
            raise ValueError(f"{out} was started with other settings ({', '.join(differ)}); use another --out")
    else:
        write_json(cfg_file, mine)
    return [run_round(cfg, out, r, **hooks) for r in range(rounds)]
