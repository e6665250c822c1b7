"""Training of ACT-JEPA (and of its ACT baseline, ``jepa_weight = 0``) on expert demos: ``plansight train jepa``.

One step: a balanced batch (``policy_data.PolicyDataset.sample``), random-shift augmentation of the observed image,
L1 on the action chunk plus ``jepa_weight`` · L1 on the predicted future embeddings, AdamW with warm-up and a cosine
schedule, then the EMA update of the target encoder with the scheduled momentum.

Run folder ``out/``:
- ``state.safetensors`` (+ ``.json``): weights and optimizer state, written atomically every ``checkpoint_every``
  steps; ``resume=True`` continues from it (batches are drawn from ``seed`` and the step number, so a resumed run
  sees the batches an uninterrupted one would have);
- ``model.safetensors`` (+ ``.json``): the final weights only, what ``act_jepa`` arm policies load;
- ``config.json``: the model config and the run's summary (kind ``act_jepa`` or ``act``, demos per task, losses);
- ``log.jsonl``: step, losses, learning rate, EMA momentum, seconds; ``tb/``: the same in TensorBoard.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch

from plansight.agent.learning.checkpoint import load_checkpoint, read_meta, save_checkpoint
from plansight.agent.learning.policy_data import PolicyDataset
from plansight.agent.perception.jepa.act_jepa import ActJepa
from plansight.agent.perception.jepa.config_jepa import ActJepaConfig
from plansight.agent.shared.atomic import JsonlAppender, atomic_path
from plansight.agent.shared.frames import to_tensor

log = logging.getLogger(__name__)


def random_shift(images: torch.Tensor, pad: int, gen: torch.Generator) -> torch.Tensor:
    """DrQ's augmentation: replicate-pad (B, 3, H, W) by ``pad`` pixels and crop back at a random offset per image."""
    if pad <= 0:
        return images
    b, _, h, w = images.shape
    padded = torch.nn.functional.pad(images, (pad, pad, pad, pad), mode="replicate")
    dx = torch.randint(0, 2 * pad + 1, (b,), generator=gen)
    dy = torch.randint(0, 2 * pad + 1, (b,), generator=gen)
    return torch.stack([padded[i, :, dy[i]:dy[i] + h, dx[i]:dx[i] + w] for i in range(b)])


def batch_tensors(model: ActJepa, raw: dict[str, np.ndarray], gen: torch.Generator | None = None) -> dict:
    """``PolicyDataset.sample``'s arrays as the model's inputs (images scaled, proprio normalised, augmented
    when ``gen`` is given)."""
    images = to_tensor(raw["images"])
    if gen is not None:
        images = random_shift(images, model.cfg.shift_px, gen)
    out = {"images": images, "proprio": model.normalize_proprio(torch.from_numpy(raw["proprio"])),
           "task": torch.from_numpy(np.asarray(raw["task"], np.int64)),
           "camera": torch.from_numpy(np.asarray(raw["camera"], np.int64)),
           "actions": torch.from_numpy(raw["actions"]), "valid": torch.from_numpy(raw["valid"])}
    if model.cfg.jepa:
        out["future_images"] = to_tensor(raw["future_images"])
        out["future_proprio"] = model.normalize_proprio(torch.from_numpy(raw["future_proprio"]))
    return out


def lr_factor(step: int, cfg: ActJepaConfig) -> float:
    """Linear warm-up over ``warmup · steps``, then cosine decay to 0 (a multiplier of ``cfg.lr``)."""
    warm = max(int(cfg.warmup * cfg.steps), 1)
    if step < warm:
        return (step + 1) / warm
    return 0.5 * (1.0 + math.cos(math.pi * min((step - warm) / max(cfg.steps - warm, 1), 1.0)))


def train_jepa(data: Sequence[str | Path], out: str | Path, cfg: ActJepaConfig, resume: bool = False,
               checkpoint_every: int = 250, on_step: Callable[[int, dict[str, float]], None] | None = None,
               dataset: PolicyDataset | None = None, seeds: Sequence[int] | None = None,
               tasks: Sequence[str] | None = None) -> dict:
    """Train (or resume) in ``out`` on the demos of ``data`` (those with a seed in ``seeds`` and a task in ``tasks``,
    when given); returns a
    summary (steps, final losses, seconds, demo counts, parameters)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    state_path = out / "state.safetensors"
    ds = dataset or PolicyDataset(data, width=cfg.width, height=cfg.height,
                                  seeds=set(seeds) if seeds is not None else None,
                                  tasks=set(tasks) if tasks is not None else None)
    if (ds.width, ds.height) != (cfg.width, cfg.height):
        raise ValueError(f"data is {ds.width}x{ds.height}, the config asks for {cfg.width}x{cfg.height}")
    cfg = cfg.model_copy(update={"tasks": cfg.tasks or ds.tasks, "cameras": cfg.cameras or ds.cameras})
    unknown = [t for t in ds.tasks if t not in cfg.tasks]
    if unknown:
        raise ValueError(f"data has task {unknown[0]!r}, which the config's tasks {cfg.tasks} lack")
    model = ActJepa(cfg)
    model.set_proprio_stats(*ds.proprio_stats())
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    start = 0
    if resume and state_path.is_file():
        meta = read_meta(state_path)
        before = {k: v for k, v in meta["config"].items() if k != "steps"}
        if before != {k: v for k, v in cfg.model_dump(mode="json").items() if k != "steps"}:
            raise ValueError(f"{state_path}: was trained with another config (only steps may change on --resume); "
                             "use a new --out or drop --resume")
        load_checkpoint(state_path, model, opt)
        start = int(meta["step"])
        log.info("resuming %s at step %d", out, start)
    elif state_path.exists() and not resume:
        raise ValueError(f"{out} already holds a training run; pass --resume to continue it, or choose a new --out")
    from torch.utils.tensorboard import SummaryWriter

    tb = SummaryWriter(str(out / "tb"))
    logf = JsonlAppender(out / "log.jsonl")
    cfg_json = cfg.model_dump(mode="json")
    extra = {"demos_per_task": ds.counts(), "cameras": list(ds.cameras), "data": [str(p) for p in data],
             "seeds": [min(d.seed for d in ds.demos), max(d.seed for d in ds.demos)]}
    t0, last = time.perf_counter(), {}
    model.train()
    try:
        for step in range(start, cfg.steps):
            rng = np.random.default_rng([cfg.seed, step])
            gen = torch.Generator().manual_seed(int(rng.integers(1 << 62)))
            batch = batch_tensors(model, ds.sample(rng, cfg.batch_size, cfg.chunk, cfg.target_offsets), gen)
            for g in opt.param_groups:
                g["lr"] = cfg.lr * lr_factor(step, cfg)
            losses = model.losses(batch)
            opt.zero_grad(set_to_none=True)
            losses["total"].backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            momentum = model.ema_momentum(step)
            model.ema_update(momentum)
            last = {k: float(v.detach()) for k, v in losses.items()}
            done = step + 1
            if done % 10 == 0 or done == cfg.steps:
                for k, v in last.items():
                    tb.add_scalar(f"loss/{k}", v, done)
                tb.add_scalar("lr", opt.param_groups[0]["lr"], done)
                tb.add_scalar("ema_momentum", momentum, done)
                logf.append({"step": done, **last, "lr": opt.param_groups[0]["lr"], "ema": momentum,
                             "seconds": time.perf_counter() - t0})
            if done % checkpoint_every == 0 or done == cfg.steps:
                save_checkpoint(state_path, model, cfg_json, done, opt, extra)
            if on_step:
                on_step(done, last)
    finally:
        tb.close()
        logf.close()
    save_checkpoint(out / "model.safetensors", model, cfg_json, cfg.steps, None, extra)
    n_params = sum(p.numel() for n, p in model.named_parameters() if not n.startswith("target."))
    summary = {"kind": "act_jepa" if cfg.jepa else "act", "steps": cfg.steps, "resumed_from": start, "losses": last,
               "seconds": time.perf_counter() - t0, "demos_per_task": ds.counts(), "cameras": list(ds.cameras),
               "seeds": extra["seeds"], "parameters": n_params, "model": str(out / "model.safetensors")}
    with atomic_path(out / "config.json") as tmp:  # also marks the folder as a model (``builtin:`` looks for it)
        tmp.write_text(json.dumps({**summary, "config": cfg_json}, indent=2))
    return summary


def load_model(path: str | Path) -> ActJepa:
    """An ``ActJepa`` from ``model.safetensors`` (or ``state.safetensors``), in eval mode; ``CheckpointError`` or
    ``ValueError`` naming the file when it is not one."""
    path = Path(path)
    if path.is_dir():
        path = path / "model.safetensors"
    meta = read_meta(path)
    try:
        cfg = ActJepaConfig(**meta["config"])
    except (TypeError, ValueError) as e:
        raise ValueError(f"{path}: not an ACT-JEPA checkpoint ({str(e).splitlines()[0]})") from None
    model = ActJepa(cfg)
    load_checkpoint(path, model)
    return model.eval()
