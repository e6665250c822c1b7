"""Typed configuration of Meta-World's scripted expert as an arm policy. Import-light: pydantic only."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict


class ExpertPolicyConfig(BaseModel):
    """Meta-World's scripted expert for the mission's task (privileged: it reads object poses from the state)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["expert"] = "expert"
