"""Typed configuration of the ACT-JEPA model and its training (``plansight train jepa``). Pydantic only.

Units: images are ``width × height`` RGB pixels; actions are Meta-World's in [−1, 1] (dx, dy, dz × 1 cm, gripper);
``chunk`` and ``target_offsets`` are env steps (12.5 ms each).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

PROPRIO_DIM = 7
"""Proprioception from Meta-World's 39-D state: hand xyz (m), gripper opening, hand displacement since the last step
(m). No object pose: the policy sees objects only through the camera."""


class ActJepaConfig(BaseModel):
    """Model sizes, data and training constants.

    Attributes:
        tasks, cameras: the vocabularies of the task and camera tokens (their order fixes the embeddings).
        width, height: input image size in pixels.
        d_model, heads, layers, ffn: the context encoder (a transformer over image, proprio, task and camera tokens).
        predictor_dim, predictor_layers: the narrow predictor (ACT-JEPA: 128 wide against the encoder's 512).
        chunk: actions predicted per query (ACT's k).
        target_offsets: future steps whose observations the predictor must embed (the JEPA targets).
        jepa_weight: weight of the latent L1 next to the action L1 (0 = the ACT baseline: same network, no JEPA).
        ema_start, ema_end: target-encoder momentum, linearly scheduled over training (paper: 0.996 → 1).
        steps, batch_size, lr, weight_decay, warmup: AdamW with a cosine schedule after a linear warm-up (fraction).
        shift_px: random-shift augmentation (pixels, replicate padding), 0 = off.
        seed: initialisation and batch sampling.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    tasks: tuple[str, ...] = ()
    cameras: tuple[str, ...] = ()
    width: int = Field(96, ge=16, le=512)
    height: int = Field(72, ge=16, le=512)
    d_model: int = Field(128, ge=16)
    heads: int = Field(4, ge=1)
    layers: int = Field(2, ge=1)
    ffn: int = Field(512, ge=16)
    predictor_dim: int = Field(64, ge=8)
    predictor_layers: int = Field(2, ge=1)
    chunk: int = Field(16, ge=1, le=100)
    target_offsets: tuple[int, ...] = (8, 16)
    jepa_weight: float = Field(1.0, ge=0.0)
    ema_start: float = Field(0.996, ge=0.0, le=1.0)
    ema_end: float = Field(1.0, ge=0.0, le=1.0)
    steps: int = Field(3000, ge=1)
    batch_size: int = Field(64, ge=2)
    lr: float = Field(6e-4, gt=0.0)
    weight_decay: float = Field(0.1, ge=0.0)
    warmup: float = Field(0.04, ge=0.0, lt=1.0)
    shift_px: int = Field(4, ge=0, le=16)
    seed: int = 0

    @model_validator(mode="after")
    def _check(self) -> ActJepaConfig:
        if self.d_model % self.heads:
            raise ValueError(f"d_model {self.d_model} is not divisible by heads {self.heads}")
        if any(o < 1 for o in self.target_offsets) or not self.target_offsets:
            raise ValueError(f"target_offsets must be positive steps, got {self.target_offsets}")
        return self

    @property
    def jepa(self) -> bool:
        """Whether the latent-prediction objective is on (False: the ACT baseline)."""
        return self.jepa_weight > 0.0
