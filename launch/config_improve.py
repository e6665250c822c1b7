"""Typed configuration of ``plansight improve`` (online self-improvement from verified successes)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from plansight.agent.learning.bstar import SamplingRule
from plansight.agent.planning.config_critic import TrainCriticConfig
from plansight.agent.planning.config_refine import TrainRefinerConfig
from plansight.sim.metaworld.tasks import TASKS

ROUND_SEEDS_FROM = 1000  # online rounds plan on training seeds only


class ImproveConfig(BaseModel):
    """One online run: rounds of plan → execute → keep verified successes → finetune.

    Attributes:
        base: the video model of round 0 (a folder or builtin:NAME).
        data: the expert datasets the base trained on, mixed into every finetune with all rounds' successes.
        critic: the critic that judges round 0's plans (monitors only: rounds sample without selection, so their
            data shows what the model itself does); ``None``: round 0 has no exploitation monitor.
        critic_labels: labelled plans (``plansight collect plans``) the critic retrains on with every round's; its
            held-out and validation seeds (``critic_train``) are among them.
        tasks, cameras: what each round plans for.
        first_seed, seeds_per_round: round r labels seeds first_seed + r·seeds_per_round …, all ≥ 1000.
        candidates: round 0's plans per start (later rounds: the B-STaR rule); guidance: round 0's classifier-free
            guidance, ``None``: the base checkpoint's.
        width, height: the camera the plans are executed at; record_width, record_height: the size successes are
            recorded at (the expert data's).
        video: the finetune of each round (``init`` is set to the round's model; its steps, batch and rate apply).
        refiner: the refiner's retraining on each round's model; ``None``: no refiner is trained.
        critic_train: the critic's retraining.
        rule: how the monitors set the next round's candidates and guidance.
        workers: processes that label plans.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    base: str = "builtin:video_mw_64x48"
    data: tuple[str, ...] = ()
    critic: str | None = None
    critic_labels: tuple[str, ...] = ()
    tasks: tuple[str, ...] = tuple(TASKS)
    cameras: tuple[str, ...] = ("corner", "corner2", "corner3")
    first_seed: int = Field(1200, ge=ROUND_SEEDS_FROM)
    seeds_per_round: int = Field(5, ge=1, le=1000)
    candidates: int = Field(4, ge=1, le=64)
    guidance: float | None = Field(None, ge=0.0, le=20.0)
    width: int = Field(320, ge=16)
    height: int = Field(240, ge=16)
    record_width: int = Field(128, ge=16)
    record_height: int = Field(96, ge=16)
    video_steps: int = Field(300, ge=1)
    video_batch: int = Field(8, ge=1)
    video_lr: float = Field(5e-5, gt=0.0)
    refiner: TrainRefinerConfig | None = None
    critic_train: TrainCriticConfig = TrainCriticConfig()
    rule: SamplingRule = SamplingRule()
    workers: int = Field(1, ge=1, le=64)

    @model_validator(mode="after")
    def _check(self) -> ImproveConfig:
        if not self.data and self.refiner is not None:
            raise ValueError("refiner: training a refiner needs the expert data (data)")
        return self
