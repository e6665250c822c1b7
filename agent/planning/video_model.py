"""The video diffusion network: AVDC's factorised space-time U-Net, assembled from diffusers blocks.

``VideoPlanNet`` is a U-Net over frames built from diffusers' ``ResnetBlock2D``, ``Downsample2D``,
``Upsample2D``, ``Attention``, ``Timesteps`` and ``TimestepEmbedding``. As in AVDC (pseudo-3-D
convolutions, spatial-only attention):

- every spatial ResNet block runs per frame and is followed by a 1-D temporal convolution (kernel 3,
  per pixel, residual, zero-initialised so training starts from a per-frame image model);
- spatial self-attention runs per frame, only in the ``attention_levels`` lowest resolutions and the
  middle block; there is no temporal attention (temporal mixing comes from the temporal convolutions);
- down- and up-sampling are spatial only; the frame count never changes;
- the task embedding (``nn.Embedding`` over the task vocabulary plus one null row for condition dropout
  and classifier-free guidance) is added to the timestep embedding and reaches every ResNet block.

Being a diffusers ``ModelMixin`` + ``ConfigMixin``, it saves and loads with ``save_pretrained`` /
``from_pretrained`` (safetensors).

Tensors: frames in [−1, 1], shape (B, C, F, H, W) with F = ``n_future`` and C = 3 (RGB) or 4 (RGB-D,
``depth=True``: the fourth channel is log-depth coded by ``agent/planning/depth_norm.py`` between
``depth_near_m`` and ``depth_far_m``); the observed frame (B, C, H, W) is repeated over F and
concatenated on channels, so the U-Net sees (B, 2C, F, H, W).

Self-conditioning (``self_condition=True``, VideoAgent's refinement model, sharing its parameters with the
generator): a previous plan (B, C, F, H, W), in the same [−1, 1] range as the frames, is concatenated too, so the
U-Net sees (B, 3C, F, H, W). Without a previous plan (the first generation) that slot holds the observed frame
repeated over F: a plan in which nothing moves. ``agent/planning/refine.py`` builds it from a trained plain model,
with the new input weights zero, so it starts as that model.

Why not ``diffusers.UNet3DConditionModel``: it adds a temporal transformer at full resolution
(``transformer_in``) and four 3-D convolutions per temporal layer; on a CPU that made one training
step at 64×48, batch 8, 3–4× slower than this network of the same width (11.8 vs 3.7 s, then 11.2
vs 2.8 s in two runs; BENCHMARKS.md).
"""

from __future__ import annotations

import torch
from diffusers.configuration_utils import ConfigMixin, register_to_config
from diffusers.models.attention_processor import Attention
from diffusers.models.embeddings import TimestepEmbedding, Timesteps
from diffusers.models.modeling_utils import ModelMixin
from diffusers.models.resnet import Downsample2D, ResnetBlock2D, Upsample2D
from torch import nn


class TemporalConv(nn.Module):
    """Residual 1-D convolution over time at every pixel: (B·F, C, H, W) → same shape.

    Zero-initialised output, so a fresh block is the identity (AVDC initialises its temporal
    convolution to identity with ``dirac_``).
    """

    def __init__(self, channels: int, groups: int, n_frames: int) -> None:
        super().__init__()
        self.n_frames = n_frames
        self.norm = nn.GroupNorm(groups, channels, eps=1e-6)
        self.conv = nn.Conv1d(channels, channels, kernel_size=3, padding=1)
        nn.init.zeros_(self.conv.weight)
        nn.init.zeros_(self.conv.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        bf, c, h, w = x.shape
        f = self.n_frames
        y = nn.functional.silu(self.norm(x))
        y = y.reshape(bf // f, f, c, h, w).permute(0, 3, 4, 2, 1).reshape(-1, c, f)  # (B·H·W, C, F)
        y = self.conv(y).reshape(bf // f, h, w, c, f).permute(0, 4, 3, 1, 2).reshape(bf, c, h, w)
        return x + y


class SpatialAttention(nn.Module):
    """Per-frame self-attention over the H·W positions (diffusers ``Attention``, residual)."""

    def __init__(self, channels: int, head_dim: int, groups: int) -> None:
        super().__init__()
        self.attn = Attention(channels, heads=max(1, channels // head_dim), dim_head=head_dim, norm_num_groups=groups,
                              residual_connection=True, bias=True, eps=1e-6)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.attn(x)  # diffusers' Attention flattens a 4-D (N, C, H, W) input itself


class Stage(nn.Module):
    """One spatial ResNet block + temporal convolution (+ spatial attention)."""

    def __init__(self, c_in: int, c_out: int, temb: int, groups: int, n_frames: int, head_dim: int,
                 attention: bool) -> None:
        super().__init__()
        self.resnet = ResnetBlock2D(in_channels=c_in, out_channels=c_out, temb_channels=temb, groups=groups, eps=1e-6)
        self.temporal = TemporalConv(c_out, groups, n_frames)
        self.attn = SpatialAttention(c_out, head_dim, groups) if attention else None

    def forward(self, x: torch.Tensor, temb: torch.Tensor) -> torch.Tensor:
        x = self.temporal(self.resnet(x, temb))
        return self.attn(x) if self.attn is not None else x


class VideoPlanNet(ModelMixin, ConfigMixin):
    """Predicts the diffusion target (v or ε) for the future frames; see the module docstring."""

    @register_to_config
    def __init__(self, height: int = 48, width: int = 64, n_future: int = 7, tasks: tuple[str, ...] = ("task",),
                 block_out_channels: tuple[int, ...] = (16, 32, 64), layers_per_block: int = 1,
                 attention_head_dim: int = 16, norm_num_groups: int = 8, task_embed_dim: int = 64,
                 attention_levels: int = 1, depth: bool = False, depth_near_m: float = 0.2,
                 depth_far_m: float = 5.0, self_condition: bool = False) -> None:
        super().__init__()
        chs = list(block_out_channels)
        n, g, f = len(chs), norm_num_groups, n_future
        temb = 4 * chs[0]
        self.time_proj = Timesteps(chs[0], flip_sin_to_cos=True, downscale_freq_shift=0)
        self.time_embedding = TimestepEmbedding(chs[0], temb)
        self.task_embedding = nn.Embedding(len(tasks) + 1, task_embed_dim)  # last row: the null task
        self.task_proj = nn.Linear(task_embed_dim, temb)
        ch = self.channels
        self.conv_in = nn.Conv2d(self.input_copies * ch, chs[0], kernel_size=3, padding=1)

        def attn(level: int) -> bool:
            return level >= n - attention_levels

        self.down = nn.ModuleList()
        self.downsample = nn.ModuleList()
        skips = [chs[0]]
        c = chs[0]
        for i, co in enumerate(chs):
            stages = nn.ModuleList()
            for _ in range(layers_per_block):
                stages.append(Stage(c, co, temb, g, f, attention_head_dim, attn(i)))
                c = co
                skips.append(c)
            self.down.append(stages)
            last = i == n - 1
            self.downsample.append(nn.Identity() if last else Downsample2D(c, use_conv=True, name="op"))
            if not last:
                skips.append(c)
        self.mid = nn.ModuleList([Stage(c, c, temb, g, f, attention_head_dim, attention_levels > 0),
                                  Stage(c, c, temb, g, f, attention_head_dim, False)])
        self.up = nn.ModuleList()
        self.upsample = nn.ModuleList()
        for i, co in reversed(list(enumerate(chs))):
            stages = nn.ModuleList()
            for _ in range(layers_per_block + 1):
                stages.append(Stage(c + skips.pop(), co, temb, g, f, attention_head_dim, attn(i)))
                c = co
            self.up.append(stages)
            self.upsample.append(Upsample2D(c, use_conv=True) if i > 0 else nn.Identity())
        self.norm_out = nn.GroupNorm(g, c, eps=1e-6)
        self.conv_out = nn.Conv2d(c, ch, kernel_size=3, padding=1)

    @property
    def channels(self) -> int:
        """Channels per frame: 3 (RGB) or 4 (RGB + coded depth)."""
        return 4 if self.config.depth else 3

    @property
    def input_copies(self) -> int:
        """Frame-sized inputs on channels: noisy target and observed frame, plus the previous plan when
        self-conditioned."""
        return 3 if self.config.get("self_condition", False) else 2

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
                task_ids: torch.Tensor, prev: torch.Tensor | None = None) -> torch.Tensor:
        """noisy (B, C, F, H, W), timesteps (B,), first (B, C, H, W), task_ids (B,) → (B, C, F, H, W).

        ``prev`` (B, C, F, H, W) in [−1, 1]: the plan to refine, for a self-conditioned model only; ``None``: the
        observed frame repeated (a first generation)."""
        b, ch, f, h, w = noisy.shape
        if (h, w, f, ch) != (self.config.height, self.config.width, self.config.n_future, self.channels):
            raise ValueError(f"model is {self.config.width}x{self.config.height}x{self.config.n_future} frames of "
                             f"{self.channels} channels, got {w}x{h}x{f} of {ch}")
        tiled = first.unsqueeze(2).expand(b, ch, f, h, w)
        parts = [noisy, tiled]
        if self.input_copies == 3:
            if prev is not None and prev.shape != noisy.shape:
                raise ValueError(f"previous plan is {tuple(prev.shape)}, expected {tuple(noisy.shape)}")
            parts.append(tiled if prev is None else prev)
        elif prev is not None:
            raise ValueError("this model is not self-conditioned: it cannot refine a previous plan")
        x = torch.cat(parts, dim=1)
        x = x.permute(0, 2, 1, 3, 4).reshape(b * f, self.input_copies * ch, h, w)  # frames as a batch
        t = self.time_proj(timesteps.expand(b)).to(dtype=x.dtype)
        emb = self.time_embedding(t) + self.task_proj(self.task_embedding(task_ids))
        emb = emb.repeat_interleave(f, dim=0)  # (B·F, temb)

        x = self.conv_in(x)
        skips = [x]
        for stages, down in zip(self.down, self.downsample, strict=True):
            for s in stages:
                x = s(x, emb)
                skips.append(x)
            if not isinstance(down, nn.Identity):
                x = down(x)
                skips.append(x)
        for s in self.mid:
            x = s(x, emb)
        for stages, up in zip(self.up, self.upsample, strict=True):
            for s in stages:
                x = s(torch.cat([x, skips.pop()], dim=1), emb)
            x = up(x)
        x = self.conv_out(nn.functional.silu(self.norm_out(x)))
        return x.reshape(b, f, ch, h, w).permute(0, 2, 1, 3, 4)
