"""Objective and sampler for ``VideoPlanNet``, on diffusers' schedulers.

Training (AVDC recipe with two modern fixes): cosine schedule (``squaredcos_cap_v2``), v-prediction,
min-SNR-γ loss weighting (weight = min(SNR, γ) / (SNR + 1) for v, Hang et al. 2023), and the task
dropped to the null token with probability ``cond_dropout`` so the same network gives the
unconditional prediction for classifier-free guidance. Sampling: DDIM with ``sample_steps`` steps,
η = 0 (deterministic given the initial noise, which comes from a seeded generator), on "trailing"
timesteps by default, so the first step starts from pure noise (Lin et al. 2024).

With ``residual``, the diffused quantity is the change from the observed frame (future − first, in [−2, 2]);
``sample`` adds the observed frame back. Frames are float tensors in [−1, 1]; ``to_tensor`` / ``to_frames``
(from ``agent/shared/frames``) convert from / to H×W×3 uint8, ``to_rgbd_tensor`` / ``split_rgbd`` from / to RGB
uint8 plus depth in metres (the fourth channel, coded by ``depth_norm``).
"""

from __future__ import annotations

import numpy as np
import torch
from diffusers import DDIMScheduler, DDPMScheduler
from diffusers.training_utils import compute_snr

from plansight.agent.planning.config_video import DiffusionConfig
from plansight.agent.planning.depth_norm import decode_depth, encode_depth
from plansight.agent.planning.video_model import VideoPlanNet
from plansight.agent.shared.frames import to_frames, to_tensor

__all__ = ["VideoDiffusion", "split_rgbd", "to_frames", "to_rgbd_tensor", "to_tensor"]


def to_rgbd_tensor(frames: np.ndarray, depth_m: np.ndarray, near: float, far: float) -> torch.Tensor:
    """(…, H, W, 3) uint8 and (…, H, W) metres → (…, 4, H, W) float in [−1, 1]."""
    return torch.cat([to_tensor(frames), encode_depth(depth_m, near, far).unsqueeze(-3)], dim=-3)


def split_rgbd(x: torch.Tensor, near: float, far: float) -> tuple[np.ndarray, np.ndarray]:
    """(…, 4, H, W) float in [−1, 1] → (…, H, W, 3) uint8 and (…, H, W) float32 depth in metres."""
    return to_frames(x[..., :3, :, :]), decode_depth(x[..., 3, :, :], near, far).cpu().numpy().astype(np.float32)


class VideoDiffusion:
    """Loss and sampler around ``net``; holds no optimiser (the training loop owns that)."""

    def __init__(self, net: VideoPlanNet, cfg: DiffusionConfig | None = None) -> None:
        self.net = net
        self.cfg = cfg or DiffusionConfig()
        self.noise_scheduler = DDPMScheduler(num_train_timesteps=self.cfg.train_timesteps,
                                             beta_schedule=self.cfg.beta_schedule,
                                             prediction_type=self.cfg.prediction_type, clip_sample=False)

    def loss(self, future: torch.Tensor, first: torch.Tensor, task_ids: torch.Tensor,
             generator: torch.Generator | None = None, timesteps: torch.Tensor | None = None,
             model: torch.nn.Module | None = None, prev: torch.Tensor | None = None) -> torch.Tensor:
        """Mean weighted MSE. future (B, C, F, H, W), first (B, C, H, W) in [−1, 1], C = ``net.channels``;
        task_ids (B,).

        ``model``: the network to run (e.g. accelerate's wrapped copy of ``net``); default ``net``.
        ``prev``: the plan being refined (B, C, F, H, W) in [−1, 1], from ``refine.refine_condition``, for a
        self-conditioned ``net``; ``None``: a first generation.
        """
        b = future.shape[0]
        dev = future.device
        if self.cfg.residual:
            future = future - first.unsqueeze(2)
        noise = torch.randn(future.shape, generator=generator, device=dev)
        if timesteps is None:
            timesteps = torch.randint(0, self.cfg.train_timesteps, (b,), generator=generator, device=dev)
        noisy = self.noise_scheduler.add_noise(future, noise, timesteps)
        target = (self.noise_scheduler.get_velocity(future, noise, timesteps)
                  if self.cfg.prediction_type == "v_prediction" else noise)
        if self.cfg.cond_dropout > 0:
            drop = torch.rand(b, generator=generator, device=dev) < self.cfg.cond_dropout
            task_ids = torch.where(drop, torch.full_like(task_ids, self.net.null_task), task_ids)
        pred = (model or self.net)(noisy, timesteps, first, task_ids) if prev is None else \
            (model or self.net)(noisy, timesteps, first, task_ids, prev)
        mse = ((pred.float() - target.float()) ** 2).mean(dim=(1, 2, 3, 4))
        if self.cfg.snr_gamma is not None:
            snr = compute_snr(self.noise_scheduler, timesteps)
            weight = torch.clamp(snr, max=self.cfg.snr_gamma)
            weight = weight / (snr + 1.0) if self.cfg.prediction_type == "v_prediction" else weight / snr
            mse = mse * weight
        return mse.mean()

    @torch.no_grad()
    def sample(self, first: torch.Tensor, task_ids: torch.Tensor, generator: torch.Generator | None = None,
               steps: int | None = None, guidance_scale: float | None = None,
               prev: torch.Tensor | None = None) -> torch.Tensor:
        """(B, C, F, H, W) in [−1, 1] from the observed frames ``first`` (B, C, H, W); C = ``net.channels``.
        ``prev``: the plan to refine (B, C, F, H, W), as in ``loss``; fresh noise either way (VideoAgent).

        Guidance: pred = uncond + s·(cond − uncond); s = 1 is purely conditional (one pass), s = 0
        purely unconditional.
        """
        c = self.net.config
        s = self.cfg.guidance_scale if guidance_scale is None else guidance_scale
        sampler = DDIMScheduler.from_config(self.noise_scheduler.config, timestep_spacing=self.cfg.timestep_spacing)
        sampler.set_timesteps(steps or self.cfg.sample_steps)
        b = first.shape[0]
        x = torch.randn((b, self.net.channels, c.n_future, c.height, c.width), generator=generator, device=first.device)
        null = torch.full_like(task_ids, self.net.null_task)
        extra = () if prev is None else (prev,)
        for t in sampler.timesteps:
            ts = torch.full((b,), int(t), device=first.device, dtype=torch.long)
            if s == 1.0:
                pred = self.net(x, ts, first, task_ids, *extra)
            elif s == 0.0:
                pred = self.net(x, ts, first, null, *extra)
            else:
                both = self.net(torch.cat([x, x]), torch.cat([ts, ts]), torch.cat([first, first]),
                                torch.cat([task_ids, null]), *(torch.cat([p, p]) for p in extra))
                cond, uncond = both.chunk(2)
                pred = uncond + s * (cond - uncond)
            x = sampler.step(pred, t, x).prev_sample
        if self.cfg.residual:
            x = x + first.unsqueeze(2)
        return x.clamp(-1.0, 1.0)
