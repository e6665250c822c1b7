"""Typed configuration of the learned video planner (``planner: {type: diffusion}``). Import-light: pydantic only."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from plansight.agent.planning.config_refine import RefinerConfig


class DiffusionPlannerConfig(BaseModel):
    """A trained video diffusion model (``plansight train video``) behind the ``VideoPlanner`` contract.

    Attributes:
        checkpoint: the model folder (``config.json`` + safetensors + ``plansight_train.json``).
        sample_steps: DDIM steps; ``None``: the checkpoint's.
        guidance_scale: classifier-free guidance; ``None``: the checkpoint's.
        refiner: a self-conditioned model that refines every plan ``refine_rounds`` times (VideoAgent); ``None``:
            plans are used as sampled.
        refine_rounds: refinement rounds per plan (each a full sample from fresh noise).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["diffusion"] = "diffusion"
    checkpoint: str = Field(min_length=1)
    sample_steps: int | None = Field(None, ge=1, le=1000)
    guidance_scale: float | None = Field(None, ge=0.0, le=50.0)
    refiner: RefinerConfig | None = None
    refine_rounds: int = Field(1, ge=0, le=16)
