"""Training of the self-conditioned refiner (VideoAgent's self-conditioning consistency), resumable.

1. **Pair bank** (``out/pairs/chunk_<k>.npz``, each written atomically, so a killed run keeps whole chunks and
   regenerates none twice): ``pairs`` fixed clips of the expert data (balanced over task and camera, seeded, no
   crop) and, for each, one plan sampled by the *base* model from the clip's first frame.
2. **Finetuning** of ``make_self_conditioned(base)``: the diffusion loss on the true future with the base plan as
   the condition (``refine_condition``, the same code the planner samples with), and for ``generate_fraction`` of
   each batch no condition (a first generation), so the shared parameters still generate. VideoAgent's consistency
   term is left out, as in its released code.

Outputs: ``model/`` (``save_pretrained`` + ``plansight_train.json``: the base, the data's sha256, steps, wall time),
``state/`` (weights and Adam state, ``step.json``) for ``--resume``, ``log.jsonl`` (step, loss).
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch

from plansight.agent.learning.train_video import data_hash
from plansight.agent.learning.video_clips import VideoClipDataset
from plansight.agent.planning.config_refine import TrainRefinerConfig
from plansight.agent.planning.refine import make_self_conditioned, refine_condition
from plansight.agent.planning.video_diffusion import VideoDiffusion, to_tensor
from plansight.agent.planning.video_model import VideoPlanNet
from plansight.agent.planning.video_planner import DiffusionVideoPlanner
from plansight.agent.shared.atomic import JsonlAppender, atomic_path, replace_folder

log = logging.getLogger(__name__)


def build_pair_bank(data: VideoClipDataset, base: DiffusionVideoPlanner, out: Path, n_pairs: int, batch: int,
                    seed: int, on_chunk: Callable[[int, int], None] | None = None) -> dict[str, np.ndarray]:
    """The bank's arrays: ``first`` (N, h, w, 3), ``future`` and ``plan`` (N, F, h, w, 3) uint8, ``task`` (N,) str.
    Chunks already on disk are kept (resume); the clips are a function of ``seed`` alone."""
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    order = [data.sample_index(rng) for _ in range(n_pairs)]
    n_chunks = (n_pairs + batch - 1) // batch
    for k in range(n_chunks):
        path = out / f"chunk_{k:04d}.npz"
        if path.is_file():
            continue
        crng = np.random.default_rng([seed, k])
        clips = [data.clip(i, crng) for i in order[k * batch:(k + 1) * batch]]
        firsts, plans = [], []
        for j, c in enumerate(clips):  # one start frame per call: the batch dimension is the sample count
            frames, _ = base.sample(c.first, c.task, 1, seed=seed * 100_003 + k * batch + j)
            firsts.append(c.first)
            plans.append(frames[0])
        with atomic_path(path) as tmp, open(tmp, "wb") as f:
            np.savez(f, first=np.stack(firsts), future=np.stack([c.future for c in clips]), plan=np.stack(plans),
                     task=np.array([c.task for c in clips]))
        if on_chunk is not None:
            on_chunk(k + 1, n_chunks)
    parts = [np.load(out / f"chunk_{k:04d}.npz") for k in range(n_chunks)]
    return {key: np.concatenate([p[key] for p in parts]) for key in ("first", "future", "plan", "task")}


def train_refiner(data_paths: Sequence[str | Path], base_checkpoint: str | Path, out_dir: str | Path,
                  cfg: TrainRefinerConfig, resume: bool = False,
                  on_step: Callable[[int, float], None] | None = None) -> dict:
    """Build (or finish) the pair bank, then train (or resume) the refiner; returns a summary."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    state_dir = out / "state"
    if resume and not (state_dir / "step.json").is_file():
        raise FileNotFoundError(f"{state_dir}: nothing to resume (no step.json); start without --resume")
    base = DiffusionVideoPlanner(base_checkpoint)
    if base.net.config.depth:
        raise ValueError("the refiner trainer reads RGB pairs; an RGB-D base model is not supported yet")
    mc = base.net.config
    data = VideoClipDataset(list(data_paths), mc.height, mc.width, mc.n_future, random_crop=False)
    t0 = time.perf_counter()
    bank = build_pair_bank(data, base, out / "pairs", cfg.pairs, cfg.pair_batch, cfg.seed,
                           lambda k, n: log.info("pair bank: chunk %d of %d", k, n))
    data.close()
    bank_s = time.perf_counter() - t0
    torch.manual_seed(cfg.seed)
    if resume:
        net = VideoPlanNet.from_pretrained(state_dir / "net")
        saved = json.loads((state_dir / "step.json").read_text())
        step, wall_before = int(saved["step"]), float(saved.get("wall_time_s", 0.0))
    else:
        net = make_self_conditioned(base.net)
        step, wall_before = 0, 0.0
    net.train()
    diffusion = VideoDiffusion(net, base.diffusion.cfg)
    opt = torch.optim.Adam(net.parameters(), lr=cfg.learning_rate, betas=(0.9, 0.99))
    if resume and (state_dir / "optim.pt").is_file():
        opt.load_state_dict(torch.load(state_dir / "optim.pt", weights_only=True))
    first_all = to_tensor(bank["first"])
    future_all = to_tensor(bank["future"]).movedim(2, 1)
    plan_all = refine_condition(bank["plan"], None, mc)
    ids_all = net.task_ids([str(t) for t in bank["task"]])
    n = len(ids_all)
    wall0, loss_value = time.perf_counter(), float("nan")
    with JsonlAppender(out / "log.jsonl") as logf:
        while step < cfg.steps:
            rng = np.random.default_rng([cfg.seed, step])
            idx = torch.from_numpy(rng.integers(0, n, cfg.batch_size))
            first, future, ids = first_all[idx], future_all[idx], ids_all[idx]
            prev = plan_all[idx].clone()
            gen = torch.from_numpy(rng.random(cfg.batch_size) < cfg.generate_fraction)
            prev[gen] = first[gen].unsqueeze(2).expand_as(prev[gen])  # a first generation: nothing moves yet
            g = torch.Generator().manual_seed(int(rng.integers(2**31)))
            loss = diffusion.loss(future, first, ids, generator=g, prev=prev)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), cfg.grad_clip)
            opt.step()
            opt.zero_grad(set_to_none=True)
            step += 1
            loss_value = float(loss.detach())
            logf.append({"step": step, "loss": round(loss_value, 6)})
            if on_step is not None:
                on_step(step, loss_value)
            if step % cfg.save_every == 0 or step == cfg.steps:
                _save(net, opt, out, step, wall_before + time.perf_counter() - wall0, base, cfg, data_paths, bank_s)
    return {"steps": step, "last_loss": loss_value, "model": str(out / "model"), "pairs": n,
            "pair_bank_s": round(bank_s, 1), "wall_time_s": round(wall_before + time.perf_counter() - wall0, 1)}


def _save(net: VideoPlanNet, opt: torch.optim.Optimizer, out: Path, step: int, wall_s: float,
          base: DiffusionVideoPlanner, cfg: TrainRefinerConfig, data_paths: Sequence[str | Path],
          bank_s: float) -> None:
    state = out / "state"
    tmp_state = out / "state.tmp"
    shutil.rmtree(tmp_state, ignore_errors=True)
    net.save_pretrained(tmp_state / "net")
    torch.save(opt.state_dict(), tmp_state / "optim.pt")
    (tmp_state / "step.json").write_text(json.dumps({"step": step, "wall_time_s": round(wall_s, 1)}))
    replace_folder(tmp_state, state)
    tmp = out / "model.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    net.save_pretrained(tmp)
    meta = {**base.meta, "step": step, "refiner": {"base": str(base.meta.get("checkpoint", "")),
            "base_step": base.meta.get("step"), "train": cfg.model_dump(mode="json"), "pair_bank_s": round(bank_s, 1),
            "data": [str(p) for p in data_paths], "data_sha256": data_hash(list(data_paths)),
            "wall_time_s": round(wall_s, 1)}}
    (tmp / "plansight_train.json").write_text(json.dumps(meta, indent=2))
    replace_folder(tmp, out / "model")
    log.info("step %d: saved %s", step, out / "model")

