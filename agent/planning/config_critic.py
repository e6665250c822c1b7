"""Typed configuration of the learned plan critic and its training. Import-light: pydantic only."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class CriticNetConfig(BaseModel):
    """The critic network: a plan (frame 0 observed, then the imagined frames) → P(the executor succeeds with it).

    Attributes:
        encoder: ``cnn`` (a small strided CNN over each frame and its difference to frame 0, trained with the head)
            or ``act_jepa`` (the frozen ACT-JEPA context encoder: one 128-d embedding per frame at its own size,
            proprio at its training mean, i.e. 0 once normalised).
        jepa: the ACT-JEPA model's config (``ActJepaConfig`` fields) when ``encoder`` is ``act_jepa``; its encoder
            weights are part of the critic's checkpoint.
        tasks, cameras: vocabularies of the task and camera embeddings.
        frames: frames per plan, frame 0 included (the video model's 1 + n_future).
        width, height: the plan size the critic reads, pixels (plans are resized to it).
        channels: the CNN's widths (three stride-2 stages).
        dim: width of each frame's feature and of the task and camera embeddings.
        hidden: the head's hidden width; dropout: before its last layer.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    encoder: Literal["cnn", "act_jepa"] = "cnn"
    jepa: dict[str, Any] | None = None
    tasks: tuple[str, ...]
    cameras: tuple[str, ...]
    frames: int = Field(8, ge=2, le=64)
    width: int = Field(64, ge=16, le=512)
    height: int = Field(48, ge=16, le=512)
    channels: tuple[int, int, int] = (16, 32, 64)
    dim: int = Field(32, ge=4, le=512)
    hidden: int = Field(128, ge=4, le=2048)
    dropout: float = Field(0.3, ge=0.0, lt=1.0)


class CriticConfig(BaseModel):
    """A trained plan critic (``plansight train critic``): registry slot ``critic``, nested in a learned planner's
    config as ``critic``.

    Attributes:
        checkpoint: the critic's ``.safetensors`` file (or its folder, holding ``model.safetensors``).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["learned"] = "learned"
    checkpoint: str = Field(min_length=1)


class TrainCriticConfig(BaseModel):
    """``plansight train critic`` on plans labelled by execution (``plansight collect plans``).

    The labelled starts are split by seed: ``test_seeds`` are never trained on nor used to choose anything (the
    held-out AUC and accuracy are measured on them), ``val_seeds`` choose the training step (best AUC) and the
    accuracy threshold, the rest train.

    Attributes:
        encoder: see ``CriticNetConfig``; ``act_jepa`` by default (on the validation seeds it separated plans
            within a task better than the CNN: mean within-task AUC 0.871 against 0.723, 944 training plans);
            jepa_checkpoint: the ACT-JEPA model the frozen encoder comes from.
        steps, batch_size, learning_rate, weight_decay: AdamW; the positive class is weighted by the training
            split's negative/positive ratio.
        eval_every: steps between validation AUCs (the best one's weights are kept).
        shift_px: random-shift augmentation of whole plans (pixels), 0 = off.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    encoder: Literal["cnn", "act_jepa"] = "act_jepa"
    jepa_checkpoint: str = "builtin:act_jepa_mw_96x72"
    test_seeds: tuple[int, int] = (1100, 1109)
    val_seeds: tuple[int, int] = (1110, 1114)
    dim: int = Field(32, ge=4, le=512)
    hidden: int = Field(128, ge=4, le=2048)
    dropout: float = Field(0.3, ge=0.0, lt=1.0)
    steps: int = Field(1500, ge=1)
    batch_size: int = Field(64, ge=2, le=4096)
    learning_rate: float = Field(1e-3, gt=0.0, le=1.0)
    weight_decay: float = Field(1e-2, ge=0.0)
    eval_every: int = Field(100, ge=1)
    shift_px: int = Field(2, ge=0, le=16)
    seed: int = 0
