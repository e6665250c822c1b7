"""Typed configuration of monocular depth flight (``type: mono_cnn``): a trained network, no stereo.

Import-light on purpose (pydantic only). This is the perception for single-camera drones such as
the AR.Drone 2.0: the network is trained in simulation by persistent self-supervised learning
(``plansight fly launch/missions/drone_room_persistent.yaml`` writes ``depth.safetensors``) and
flown here without a stereo teacher.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from plansight.agent.shared.builtin import check_weights_file

BUILTIN_PREFIX = "builtin:"


class MonoConfig(BaseModel):
    """Which checkpoint and which camera; ``camera: null`` takes the embodiment's first camera."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["mono_cnn"] = "mono_cnn"
    camera: str | None = None
    checkpoint: str = Field(f"{BUILTIN_PREFIX}mono_depth_room",
                            description="a .safetensors path, or builtin:<name> for the weights shipped in "
                                        "agent/perception/weights")
    max_rel_std: float = Field(0.5, gt=0.0, description="pixels less certain than this (std/depth) are invalid")
    max_depth_m: float = Field(8.0, gt=0.0, description="depth scored against ground truth up to here")
    torch_threads: int | None = Field(1, ge=1, le=256, description="intra-op threads (process-wide); "
                                      "1 = one 128x96 frame in ~2.5 ms without starving the link threads")

    @field_validator("checkpoint")
    @classmethod
    def _checkpoint_exists(cls, v: str) -> str:
        return check_weights_file(v)

