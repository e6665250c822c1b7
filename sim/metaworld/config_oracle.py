"""Typed configuration of the oracle video planner (``planner: {type: oracle}``). Import-light: pydantic only."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class OracleConfig(BaseModel):
    """The scripted expert's future rendered from a copy of the arm's state (privileged: the ceiling of learned
    planners with a given executor).

    Attributes:
        plan_frames: frames per plan, the observed one included (AVDC: 8; our RGB-D protocol: 24).
        horizon: most expert steps simulated per plan.
        tail_steps: steps kept after the expert's first success, so the last frame shows the end state.
        depth: render each frame's depth (an RGB-D plan); ``None``: when the executor reads plan depth.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["oracle"] = "oracle"
    plan_frames: int = Field(24, ge=2, le=64)
    horizon: int = Field(300, ge=1, le=500)
    tail_steps: int = Field(5, ge=0, le=100)
    depth: bool | None = None
