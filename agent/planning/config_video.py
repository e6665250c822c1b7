"""Typed configuration of the video diffusion planner (AVDC recipe, sized for CPU training).

Import-light on purpose (pydantic only).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class VideoModelConfig(BaseModel):
    """Shape of the first-frame- and task-conditioned video U-Net.

    The model sees ``1 + n_future`` frames: the observed frame is concatenated on channels to every
    noisy future frame, and the task embedding is added to the time embedding (AVDC; no cross-attention).
    The default width is the one measured to train on a CPU in about an hour (BENCHMARKS.md, video_planner).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    height: int = Field(48, ge=16, le=512, multiple_of=8)
    width: int = Field(64, ge=16, le=512, multiple_of=8)
    n_future: int = Field(7, ge=1, le=32, description="predicted frames after the observed one")
    tasks: tuple[str, ...] = Field((), description="task vocabulary, in embedding order; empty = take it from the "
                                   "training data")
    block_out_channels: tuple[int, ...] = (16, 32, 64)
    layers_per_block: int = Field(1, ge=1, le=4)
    attention_head_dim: int = Field(16, ge=4)
    norm_num_groups: int = Field(8, ge=1)
    task_embed_dim: int = Field(64, ge=8)
    attention_levels: int = Field(1, ge=0, description="spatial attention in this many lowest-resolution levels")
    depth: bool = Field(False, description="RGB-D: every frame has a fourth channel, log-depth between depth_near_m "
                        "and depth_far_m in [-1, 1] (agent/planning/depth_norm.py); the observed frame's depth is a "
                        "condition, the future frames' depth is predicted")
    depth_near_m: float = Field(0.2, gt=0.0, description="near plane of the depth code, metres")
    depth_far_m: float = Field(5.0, gt=0.0, description="far plane of the depth code, metres")
    self_condition: bool = Field(False, description="also conditioned on a previous plan (VideoAgent's refinement; "
                                 "agent/planning/refine.py)")

    @model_validator(mode="after")
    def _check(self) -> VideoModelConfig:
        if any(c % self.norm_num_groups for c in self.block_out_channels):
            raise ValueError(f"block_out_channels {self.block_out_channels} must be multiples of norm_num_groups "
                             f"({self.norm_num_groups})")
        down = 2 ** (len(self.block_out_channels) - 1)
        if self.height % down or self.width % down:
            raise ValueError(f"height and width must be multiples of {down} for {len(self.block_out_channels)} levels")
        if self.attention_levels > len(self.block_out_channels):
            raise ValueError("attention_levels exceeds the number of levels")
        if self.depth_far_m <= self.depth_near_m:
            raise ValueError(f"depth_far_m ({self.depth_far_m}) must exceed depth_near_m ({self.depth_near_m})")
        if len(set(self.tasks)) != len(self.tasks):
            raise ValueError("tasks must be unique")
        return self


class DiffusionConfig(BaseModel):
    """Noise schedule, objective and sampler (diffusers schedulers)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    train_timesteps: int = Field(1000, ge=10, le=4000)
    beta_schedule: Literal["squaredcos_cap_v2", "linear", "scaled_linear"] = "squaredcos_cap_v2"  # cosine
    prediction_type: Literal["v_prediction", "epsilon"] = "v_prediction"
    snr_gamma: float | None = Field(5.0, gt=0.0, description="min-SNR loss weighting; null = plain MSE")
    residual: bool = Field(False, description="diffuse the change from the observed frame (future − first) instead "
                           "of the frames: static scene parts are exactly zero, so the model spends itself on motion")
    cond_dropout: float = Field(0.1, ge=0.0, le=1.0, description="task dropped to the null token (for CFG)")
    sample_steps: int = Field(20, ge=1, le=1000, description="DDIM steps at planning time")
    timestep_spacing: Literal["trailing", "leading", "linspace"] = Field(
        "trailing", description="DDIM timesteps; trailing starts at the last training step (pure noise), which "
        "leading (diffusers' default) skips: 23.8 vs 21.1 dB PSNR at 10 steps on a 750-step model (6 clips, "
        "one-off measurement)")
    guidance_scale: float = Field(1.5, ge=0.0, le=20.0, description="classifier-free guidance on the task")


class TrainVideoConfig(BaseModel):
    """``plansight train video``: AVDC's optimiser settings (Adam 1e-4, betas 0.9/0.99, clip 1.0,
    EMA 0.999 every 10 steps), sized for a CPU by default."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: VideoModelConfig = VideoModelConfig()
    diffusion: DiffusionConfig = DiffusionConfig()
    steps: int = Field(20_000, ge=1)
    batch_size: int = Field(8, ge=1, le=1024)
    learning_rate: float = Field(1e-4, gt=0.0, le=1.0)
    adam_betas: tuple[float, float] = (0.9, 0.99)
    grad_clip: float = Field(1.0, gt=0.0)
    ema_decay: float = Field(0.999, ge=0.0, lt=1.0)
    ema_every: int = Field(10, ge=1)
    save_every: int = Field(1000, ge=1)
    sample_every: int = Field(1000, ge=1, description="write a sample GIF (EMA weights) this often")
    cameras: tuple[str, ...] | None = Field(None, description="cameras to train on; all in the file when null")
    random_crop: bool = True
    include_failed: bool = False
    frame_stride: int | None = Field(None, ge=1, description="clip frames this many recorded frames apart (a drone "
                                     "plan's rate: 2 at 10 Hz logs is 0.2 s); null = AVDC's spacing to completion")
    init: str | None = Field(None, description="start from this video model's weights (a folder or builtin:NAME): "
                             "finetuning, e.g. an online round. Its architecture and tasks replace `model`; its "
                             "objective (schedule, prediction, residual) must equal `diffusion`'s")
    seed: int = 0
