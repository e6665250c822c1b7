"""Typed configuration of persistent self-supervised depth (``type: persistent_ssl``).

Import-light on purpose (pydantic and the other config classes only): the mission schema imports
it without loading torch.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PositiveInt, field_validator

from plansight.agent.control.avoidance import AvoidanceConfig
from plansight.agent.perception.stereo import StereoConfig
from plansight.agent.perception.switching import SwitchConfig
from plansight.agent.shared.builtin import check_weights_file


class MonoNetConfig(BaseModel):
    """Network shape and depth range. The image size is fixed at construction (checked at load)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    width: int = Field(128, ge=32, multiple_of=32)
    height: int = Field(96, ge=32, multiple_of=32)
    channels: tuple[PositiveInt, ...] = Field((16, 32, 48, 64, 96), min_length=1, max_length=8,
                                              description="encoder widths, one per level (each ≥ 1)")
    coord_channels: bool = Field(False, description="append normalised row/column maps to the input (CoordConv)")
    min_depth_m: float = Field(0.2, gt=0.0)
    max_depth_m: float = Field(8.0, gt=0.0)


class LearnerConfig(BaseModel):
    """Online learner settings."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    mode: Literal["background", "lockstep"] = "lockstep"
    steps_per_second: float = Field(5.0, gt=0.0, description="lockstep: optimiser steps per second of flight")
    batch_size: int = Field(16, ge=1, le=512)
    learning_rate: float = Field(1e-3, gt=0.0, le=1.0)
    buffer_capacity: int = Field(3000, ge=10, le=200_000)
    buffer_policy: Literal["reservoir", "fifo"] = "reservoir"
    add_every: int = Field(2, ge=1, description="store every n-th frame (consecutive frames are near copies)")
    min_valid_fraction: float = Field(0.3, ge=0.0, le=1.0, description="skip frames where stereo sees little")
    min_buffer: int = Field(64, ge=1, description="no training before this many samples")
    publish_every: int = Field(20, ge=1)
    checkpoint_every: int = Field(100, ge=1, description="optimiser steps between checkpoints")
    checkpoint_every_s: float = Field(
        30.0, gt=0.0, le=86_400.0, description="also checkpoint when this much wall time passed since the last "
        "one (or since training began): a flight killed early keeps what it learnt")
    hflip: bool = Field(True, description="augment with horizontal flips")
    loss: Literal["gaussian_nll", "l1_log"] = Field(
        "gaussian_nll", description="gaussian_nll: the NLL of log depth fits mean and variance together; l1_log: "
        "L1 on log depth fits the mean, the NLL only the variance (agent/perception/mono_net.py)")
    seed: int = 0


class PersistentSSLConfig(BaseModel):
    """Stereo teacher, mono student, learner and switch."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["persistent_ssl"] = "persistent_ssl"
    camera: str = "left"
    stereo: StereoConfig = StereoConfig()
    net: MonoNetConfig = MonoNetConfig()
    learner: LearnerConfig = LearnerConfig()
    switch: SwitchConfig = SwitchConfig()
    learn: bool = Field(True, description="keep training during the mission")
    init_checkpoint: str | None = Field(None, description="start from this checkpoint (resume)")

    @field_validator("init_checkpoint")
    @classmethod
    def _checkpoint_exists(cls, v: str | None) -> str | None:
        return None if v is None else check_weights_file(v)
    mono_max_rel_std: float = Field(0.5, gt=0.0, description="mono pixels less certain than this are invalid")
    free_space: AvoidanceConfig = Field(AvoidanceConfig(), description="corridor used to judge imminent collision")

    @property
    def max_depth_m(self) -> float:
        return self.stereo.max_depth_m


