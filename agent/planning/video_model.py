"""The video diffusion network: diffusers' factorised space-time U-Net plus a task embedding.

``VideoPlanNet`` wraps ``diffusers.UNet3DConditionModel`` (2-D spatial ResNet blocks, 1-D temporal
convolutions, temporal transformers; spatial attention only in the ``attention_levels`` lowest
resolutions) and an ``nn.Embedding`` over the task vocabulary with one extra row, the null task used
for condition dropout and classifier-free guidance. Being a diffusers ``ModelMixin`` +
``ConfigMixin``, it saves and loads with ``save_pretrained`` / ``from_pretrained`` (safetensors).

Tensors: frames in [−1, 1], shape (B, 3, F, H, W) with F = ``n_future``; the observed frame
(B, 3, H, W) is repeated over F and concatenated on channels, so the U-Net sees (B, 6, F, H, W).
"""

from __future__ import annotations

import torch
from diffusers import UNet3DConditionModel
from diffusers.configuration_utils import ConfigMixin, register_to_config
from diffusers.models.modeling_utils import ModelMixin
from torch import nn


class VideoPlanNet(ModelMixin, ConfigMixin):
    """Predicts the diffusion target (v or ε) for the future frames; see the module docstring."""

    @register_to_config
    def __init__(self, height: int = 48, width: int = 64, n_future: int = 7, tasks: tuple[str, ...] = ("task",),
                 block_out_channels: tuple[int, ...] = (32, 64, 96), layers_per_block: int = 1,
                 attention_head_dim: int = 16, norm_num_groups: int = 8, task_embed_dim: int = 64,
                 attention_levels: int = 1) -> None:
        super().__init__()
        n = len(block_out_channels)
        down = tuple("CrossAttnDownBlock3D" if i >= n - attention_levels else "DownBlock3D" for i in range(n))
        up = tuple("CrossAttnUpBlock3D" if i < attention_levels else "UpBlock3D" for i in range(n))
        self.unet = UNet3DConditionModel(
            sample_size=max(height, width), in_channels=6, out_channels=3, down_block_types=down,
            up_block_types=up, block_out_channels=tuple(block_out_channels), layers_per_block=layers_per_block,
            norm_num_groups=norm_num_groups, cross_attention_dim=task_embed_dim,
            attention_head_dim=attention_head_dim, time_cond_proj_dim=task_embed_dim)
        self.task_embedding = nn.Embedding(len(tasks) + 1, task_embed_dim)  # last row: the null task

    @property
    def null_task(self) -> int:
        return len(self.config.tasks)

    def task_ids(self, names: list[str]) -> torch.Tensor:
        """Task names → embedding indices; raises ``KeyError`` naming the known tasks."""
        known = list(self.config.tasks)
        missing = [t for t in names if t not in known]
        if missing:
            raise KeyError(f"unknown task {missing[0]!r}; this model knows: {', '.join(known)}")
        return torch.tensor([known.index(t) for t in names], dtype=torch.long, device=self.device)

    def forward(self, noisy: torch.Tensor, timesteps: torch.Tensor, first: torch.Tensor,
                task_ids: torch.Tensor) -> torch.Tensor:
        """noisy (B, 3, F, H, W), timesteps (B,), first (B, 3, H, W), task_ids (B,) → (B, 3, F, H, W)."""
        b, _, f, h, w = noisy.shape
        if (h, w, f) != (self.config.height, self.config.width, self.config.n_future):
            raise ValueError(f"model is {self.config.width}x{self.config.height}x{self.config.n_future} frames, "
                             f"got {w}x{h}x{f}")
        x = torch.cat([noisy, first.unsqueeze(2).expand(b, 3, f, h, w)], dim=1)
        emb = self.task_embedding(task_ids)
        return self.unet(x, timesteps, encoder_hidden_states=emb.unsqueeze(1), timestep_cond=emb).sample
