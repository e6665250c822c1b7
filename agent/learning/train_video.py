"""Training loop of the video diffusion planner, through HF accelerate (one command, any device count).

Per step: ``batch_size`` AVDC clips (``VideoClipDataset``) → ``VideoDiffusion.loss`` → Adam with
gradient clipping; EMA (diffusers ``EMAModel``) every ``ema_every`` steps. Outputs in ``out_dir``:

- ``model/``: the EMA weights via ``save_pretrained`` (``config.json`` + safetensors), with
  ``plansight_train.json`` (training config, data path and sha256, step, wall time, device);
- ``state/``: accelerate state (weights, optimiser, EMA, RNG) for ``--resume``; ``state/step.json`` (step and
  the wall time of every sitting so far, so a resumed run's cost adds up);
- ``logs/``: TensorBoard scalars (loss, learning rate); ``samples/step_<n>.gif``: generated | real.

Checkpoints are written to a temporary folder and renamed, so an interrupted run keeps the last one.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch
from accelerate import Accelerator
from diffusers.training_utils import EMAModel
from PIL import Image

from plansight.agent.learning.video_clips import Clip, VideoClipDataset, file_hash
from plansight.agent.planning.config_video import TrainVideoConfig, VideoModelConfig
from plansight.agent.planning.video_diffusion import VideoDiffusion, to_frames, to_rgbd_tensor, to_tensor
from plansight.agent.planning.video_model import VideoPlanNet
from plansight.agent.shared.atomic import atomic_path, replace_folder

log = logging.getLogger(__name__)


def clip_tensors(clips: Sequence[Clip], net: VideoPlanNet) -> tuple[torch.Tensor, torch.Tensor]:
    """Clips → (future (B, C, F, H, W), first (B, C, H, W)) in [−1, 1] for ``net`` (C = 3, or 4 with depth)."""
    c = net.config
    if c.depth:
        first = to_rgbd_tensor(np.stack([k.first for k in clips]), np.stack([k.first_depth for k in clips]),
                               c.depth_near_m, c.depth_far_m)
        future = to_rgbd_tensor(np.stack([k.future for k in clips]), np.stack([k.future_depth for k in clips]),
                                c.depth_near_m, c.depth_far_m)
    else:
        first, future = to_tensor(np.stack([k.first for k in clips])), to_tensor(np.stack([k.future for k in clips]))
    return future.movedim(1, 2), first


def _batch(data: VideoClipDataset, net: VideoPlanNet, n: int, rng: np.random.Generator,
           device: torch.device) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    clips = [data.clip(data.sample_index(rng), rng) for _ in range(n)]
    future, first = clip_tensors(clips, net)
    return future.to(device), first.to(device), net.task_ids([c.task for c in clips]).to(device)


def data_hash(paths: Sequence[str | Path]) -> str:
    """sha256 of one file, or of its files' sha256s in order for several (a folder: its ``*.h5``, sorted)."""
    files = [q for p in map(Path, paths) for q in (sorted(p.glob("*.h5")) if p.is_dir() else [p])]
    hashes = [file_hash(p) for p in files]
    return hashes[0] if len(hashes) == 1 else hashlib.sha256("".join(hashes).encode()).hexdigest()


def write_gif(path: Path, first: np.ndarray, generated: np.ndarray, real: np.ndarray | None = None,
              frame_ms: int = 200) -> Path:
    """Frames side by side (generated | real), first frame first; written atomically."""
    rows = [np.concatenate([f, *([r] if real is not None else [])], axis=1)
            for f, r in zip([first, *generated], [first, *(real if real is not None else generated)], strict=True)]
    images = [Image.fromarray(r) for r in rows]
    with atomic_path(path) as tmp:
        images[0].save(tmp, format="GIF", save_all=True, append_images=images[1:], duration=frame_ms, loop=0)
    return path


def train_video(data_path: str | Path | Sequence[str | Path], out_dir: str | Path, cfg: TrainVideoConfig,
                resume: bool = False, on_step: Callable[[int, float], None] | None = None) -> dict:
    """Train (or resume) on one dataset file or several, and return a summary: steps, last loss, wall time,
    device, paths."""
    paths = [data_path] if isinstance(data_path, (str, Path)) else list(data_path)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    state_dir = out / "state"
    if resume and not (state_dir / "step.json").is_file():
        raise FileNotFoundError(f"{state_dir}: nothing to resume (no step.json); start without --resume")
    init_net = None
    mc = cfg.model
    if cfg.init is not None:
        init_net, mc = _init_model(cfg)
    data = VideoClipDataset(paths, mc.height, mc.width, mc.n_future, list(cfg.cameras) if cfg.cameras else None,
                            cfg.random_crop, cfg.include_failed, depth=mc.depth, frame_stride=cfg.frame_stride)
    tasks = mc.tasks or data.tasks
    unknown = sorted(set(data.tasks) - set(tasks))
    if unknown:
        raise ValueError(f"dataset has tasks the model config does not list: {unknown}")
    acc = Accelerator(log_with="tensorboard", project_dir=str(out / "logs"))
    acc.init_trackers("video")
    torch.manual_seed(cfg.seed)
    net = VideoPlanNet(**mc.model_copy(update={"tasks": tuple(tasks)}).model_dump())
    if init_net is not None:
        net.load_state_dict(init_net.state_dict())
    ema = EMAModel(net.parameters(), decay=cfg.ema_decay, model_cls=VideoPlanNet, model_config=net.config)
    opt = torch.optim.Adam(net.parameters(), lr=cfg.learning_rate, betas=cfg.adam_betas)
    wrapped, opt = acc.prepare(net, opt)
    acc.register_for_checkpointing(ema)
    step, wall_before = 0, 0.0
    if resume:
        acc.load_state(str(state_dir))
        saved = json.loads((state_dir / "step.json").read_text())
        step, wall_before = saved["step"], float(saved.get("wall_time_s", 0.0))
        log.info("resumed at step %d", step)
    ema.to(acc.device)
    diffusion = VideoDiffusion(net, cfg.diffusion)
    data_sha = data_hash(paths)
    rng = np.random.default_rng([cfg.seed, step])
    wall0, loss_value = time.perf_counter(), float("nan")
    while step < cfg.steps:
        future, first, ids = _batch(data, net, cfg.batch_size, rng, acc.device)
        loss = diffusion.loss(future, first, ids, model=wrapped)
        acc.backward(loss)
        acc.clip_grad_norm_(wrapped.parameters(), cfg.grad_clip)
        opt.step()
        opt.zero_grad(set_to_none=True)
        step += 1
        loss_value = float(loss.detach())
        if step % cfg.ema_every == 0:
            ema.step(net.parameters())
        acc.log({"loss": loss_value, "lr": opt.param_groups[0]["lr"]}, step=step)
        if on_step is not None:
            on_step(step, loss_value)
        if acc.is_main_process and (step % cfg.sample_every == 0 or step == cfg.steps):
            _sample_gif(out / "samples" / f"step_{step:06d}.gif", net, ema, diffusion, data, rng)
        if step % cfg.save_every == 0 or step == cfg.steps:
            _save(acc, net, ema, out, state_dir, step, cfg, paths, data_sha, wall_before + time.perf_counter() - wall0)
    acc.end_training()
    data.close()
    return {"steps": step, "last_loss": loss_value, "wall_time_s": round(wall_before + time.perf_counter() - wall0, 1),
            "device": str(acc.device), "processes": acc.num_processes, "model": str(out / "model"),
            "parameters_m": round(sum(p.numel() for p in net.parameters()) / 1e6, 2), "data_sha256": data_sha}


OBJECTIVE = ("train_timesteps", "beta_schedule", "prediction_type", "residual")


def _init_model(cfg: TrainVideoConfig) -> tuple[VideoPlanNet, VideoModelConfig]:
    """The model ``cfg.init`` names and its architecture as a ``VideoModelConfig``; ``ValueError`` when its
    training objective differs from ``cfg.diffusion``'s (finetuning must keep the noise schedule it learned)."""
    from plansight.agent.shared.builtin import resolve_model

    path = resolve_model(cfg.init)
    if not (path / "config.json").is_file():
        raise ValueError(f"init: {path} holds no video model (config.json)")
    net = VideoPlanNet.from_pretrained(path)
    meta_file = path / "plansight_train.json"
    if meta_file.is_file():
        theirs = json.loads(meta_file.read_text()).get("diffusion", {})
        ours = cfg.diffusion.model_dump(mode="json")
        differ = [k for k in OBJECTIVE if k in theirs and theirs[k] != ours[k]]
        if differ:
            raise ValueError(f"init: {path} was trained with " + ", ".join(f"{k}={theirs[k]!r}" for k in differ)
                             + "; set the same in diffusion")
    fields = {k: net.config[k] for k in VideoModelConfig.model_fields if k in net.config}
    return net, VideoModelConfig(**fields)


def _with_ema(net: VideoPlanNet, ema: EMAModel, fn: Callable[[], object]) -> object:
    ema.store(net.parameters())
    ema.copy_to(net.parameters())
    try:
        return fn()
    finally:
        ema.restore(net.parameters())


def _sample_gif(path: Path, net: VideoPlanNet, ema: EMAModel, diffusion: VideoDiffusion, data: VideoClipDataset,
                rng: np.random.Generator) -> None:
    clip = data.clip(data.sample_index(rng), rng)
    ids = net.task_ids([clip.task]).to(net.device)

    def sample() -> torch.Tensor:
        net.eval()
        try:
            x0 = clip_tensors([clip], net)[1].to(net.device)
            return diffusion.sample(x0, ids, torch.Generator(device="cpu").manual_seed(0))
        finally:
            net.train()

    video = _with_ema(net, ema, sample)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_gif(path, clip.first, to_frames(video[0, :3].movedim(1, 0)), clip.future)


def _save(acc: Accelerator, net: VideoPlanNet, ema: EMAModel, out: Path, state_dir: Path, step: int,
          cfg: TrainVideoConfig, paths: Sequence[str | Path], data_sha: str, wall_s: float) -> None:
    acc.wait_for_everyone()
    acc.save_state(str(state_dir))
    if not acc.is_main_process:
        return
    (state_dir / "step.json").write_text(json.dumps({"step": step, "wall_time_s": round(wall_s, 1)}))
    tmp = out / "model.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    _with_ema(net, ema, lambda: net.save_pretrained(tmp))
    meta = {"step": step, "data": ", ".join(map(str, paths)), "data_sha256": data_sha, "wall_time_s": round(wall_s, 1),
            "device": str(acc.device), "processes": acc.num_processes, "config": cfg.model_dump(mode="json"),
            "diffusion": cfg.diffusion.model_dump(mode="json")}
    (tmp / "plansight_train.json").write_text(json.dumps(meta, indent=2))
    final = out / "model"
    replace_folder(tmp, final)
    log.info("step %d: saved %s", step, final)
