"""Typed configuration of the action-chunking arm policies (``arm_policy: {type: act_jepa, checkpoint: ...}``).
Import-light (pydantic only): mission files validate without loading torch."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from plansight.agent.shared.builtin import resolve_model


class ActPolicyConfig(BaseModel):
    """A trained ACT-JEPA (or ACT baseline) checkpoint and how to execute its chunks.

    Attributes:
        checkpoint: the folder of ``plansight train jepa --out`` (its ``model.safetensors``), a ``.safetensors``
            file, or ``builtin:<name>``.
        query_every: query the network (and render the camera) every this many env steps; the steps between are
            served from the chunks already predicted (1 = ACT's per-step querying).
        ensemble_m: temporal ensembling: the stored predictions for this step are averaged with weights
            ``exp(−m·i)``, i = 0 the oldest, as in ACT; ``null`` executes the newest chunk alone.
        action_scale_m: metres per action unit (Meta-World's 1 cm).
        threads: torch threads for inference.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["act_jepa"] = "act_jepa"
    checkpoint: str = Field(..., description="run folder of `plansight train jepa`, a .safetensors file or builtin:")
    query_every: int = Field(1, ge=1, le=100)
    ensemble_m: float | None = Field(0.01, ge=0.0)
    action_scale_m: float = Field(0.01, gt=0.0)
    threads: int = Field(1, ge=1, le=64)

    @field_validator("checkpoint")
    @classmethod
    def _exists(cls, v: str) -> str:
        path = resolve_model(v)  # ValueError for an unknown builtin: name
        if not (path / "model.safetensors" if path.is_dir() else path).is_file():
            raise ValueError(f"{v}: checkpoint not found (a folder from `plansight train jepa --out`, or its "
                             "model.safetensors)")
        return v
