"""Typed configuration of the learned video planner (``planner: {type: diffusion}``). Import-light: pydantic only."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from plansight.agent.planning.config_critic import CriticConfig
from plansight.agent.planning.config_refine import RefinerConfig


class DiffusionPlannerConfig(BaseModel):
    """A trained video diffusion model (``plansight train video``) behind the ``VideoPlanner`` contract.

    Attributes:
        checkpoint: the model folder (``config.json`` + safetensors + ``plansight_train.json``).
        sample_steps: DDIM steps; ``None``: the checkpoint's.
        guidance_scale: classifier-free guidance; ``None``: the checkpoint's.
        refiner: a self-conditioned model that refines every plan ``refine_rounds`` times (VideoAgent); ``None``:
            plans are used as sampled.
        refine_rounds: refinement rounds per plan (each a full sample from fresh noise); with a critic, at most
            this many: refinement stops once a plan scores at least the critic's threshold, and a refined plan
            replaces its plan only when it scores higher.
        critic: a plan critic (``plansight train critic``) that picks the best of ``candidates`` samples and
            stops refinement; ``None``: plans are not judged.
        candidates: plans sampled per planning call (one batch); with a critic the best-scored are returned.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["diffusion"] = "diffusion"
    checkpoint: str = Field(min_length=1)
    sample_steps: int | None = Field(None, ge=1, le=1000)
    guidance_scale: float | None = Field(None, ge=0.0, le=50.0)
    refiner: RefinerConfig | None = None
    refine_rounds: int = Field(1, ge=0, le=16)
    critic: CriticConfig | None = None
    candidates: int = Field(1, ge=1, le=64)

    @model_validator(mode="after")
    def _check(self) -> DiffusionPlannerConfig:
        if self.candidates > 1 and self.critic is None:
            raise ValueError("candidates > 1 needs a critic to choose among them")
        return self
