"""Typed configuration of the Meta-World arm adapter (``type: metaworld_arm``).

Import-light on purpose (pydantic only): the CLI validates arguments without loading MuJoCo.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from plansight.agent.shared.errors import describe_error
from plansight.sim.metaworld.tasks import ALL_TASKS

CAMERAS: tuple[str, ...] = ("corner", "corner2", "corner3")
"""The AVDC evaluation cameras. ``corner`` renders upside down in Meta-World; the adapter rotates it 180°."""

MIN_SIDE, MAX_SIDE = 32, 1024


class MetaWorldConfig(BaseModel):
    """One Meta-World task seen by one or more cameras.

    Attributes:
        type: registry name.
        task: one of the 11 AVDC tasks (``sim.metaworld.tasks.TASKS``) or of ACT-JEPA's other Meta-World tasks
            (``ACT_JEPA_EXTRA``), without the ``-v3`` suffix.
        cameras: cameras rendered on each ``observe``; each one of ``CAMERAS``.
        width, height: image size in pixels (AVDC: 320×240).
        fast_render: shadows, reflections and skybox off (≈ 4× faster on llvmpipe; none of them is needed
            to see the task).
        max_steps: episode budget in env steps (12.5 ms of sim time each); Meta-World's is 500.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["metaworld_arm"] = "metaworld_arm"
    task: str = "button-press"
    cameras: tuple[str, ...] = ("corner",)
    width: int = Field(320, ge=MIN_SIDE, le=MAX_SIDE)
    height: int = Field(240, ge=MIN_SIDE, le=MAX_SIDE)
    fast_render: bool = True
    max_steps: int = Field(500, ge=1, le=500)

    @field_validator("task")
    @classmethod
    def _known_task(cls, v: str) -> str:
        v = v.removesuffix("-v3")
        if v not in ALL_TASKS:
            raise ValueError(f"unknown task {v!r}; allowed: {', '.join(ALL_TASKS)}")
        return v

    @field_validator("cameras")
    @classmethod
    def _known_cameras(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        if not v:
            raise ValueError(f"at least one camera is needed; allowed: {', '.join(CAMERAS)}")
        for c in v:
            if c not in CAMERAS:
                raise ValueError(f"unknown camera {c!r}; allowed: {', '.join(CAMERAS)}")
        return v


class ConfigError(ValueError):
    """A bad configuration value, with a one-line message naming the field and the allowed values."""


def make_config(**kwargs) -> MetaWorldConfig:
    """``MetaWorldConfig(**kwargs)``, with pydantic's report condensed to one line (``ConfigError``)."""
    try:
        return MetaWorldConfig(**kwargs)
    except ValidationError as e:
        msg = describe_error(e, MetaWorldConfig)
        if msg.startswith(("width:", "height:")):
            msg = f"{msg} (allowed: {MIN_SIDE}..{MAX_SIDE} pixels)"
        raise ConfigError(msg) from None


def parse_resolution(spec: str) -> tuple[int, int]:
    """``"320x240"`` → (width, height); ``ConfigError`` on anything else or out of range."""
    try:
        w, h = (int(x) for x in spec.lower().split("x"))
    except ValueError:
        raise ConfigError(f"resolution: expected WIDTHxHEIGHT like 320x240, got {spec!r}") from None
    for side in (w, h):
        if not MIN_SIDE <= side <= MAX_SIDE:
            raise ConfigError(f"resolution: {spec!r} out of range; each side must be {MIN_SIDE}..{MAX_SIDE} pixels")
    return w, h


def parse_tasks(spec: str) -> list[str]:
    """``--tasks``: comma-separated task names, ``all`` (AVDC's 11) or ``act-jepa-15`` (``tasks.TASK_GROUPS``)."""
    from plansight.sim.metaworld.tasks import TASK_GROUPS

    return parse_list(spec, tuple(ALL_TASKS), "tasks", TASK_GROUPS)


def parse_list(spec: str, allowed: tuple[str, ...], what: str, groups: dict[str, tuple[str, ...]] | None = None
               ) -> list[str]:
    """``"a,b"`` or ``"all"`` → names, each checked against ``allowed`` (``ConfigError`` naming them). ``groups``
    names lists (``all`` → ``groups["all"]`` when given, else every allowed name)."""
    groups = groups or {}
    if spec.strip() in groups:
        return list(groups[spec.strip()])
    if spec.strip() == "all":
        return list(allowed)
    names = [s.strip().removesuffix("-v3") for s in spec.split(",") if s.strip()]
    if not names:
        raise ConfigError(f"{what}: empty list; allowed: all, {', '.join(allowed)}")
    for n in names:
        if n not in allowed:
            names_ = ", ".join([*(groups or {"all": ()}), *allowed])
            raise ConfigError(f"{what}: unknown {what.rstrip('s')} {n!r}; allowed: {names_}")
    return names
