"""Mission files: one pydantic schema, loaded from YAML, with one-line errors.

A mission names its parts by ``type``; each part's config class lives next to its implementation
and the union below lists the registered choices. ``load_mission`` raises ``MissionError`` whose
message is a single line naming the file, the field and what is allowed.
"""

from __future__ import annotations

import types
import typing
from pathlib import Path
from typing import Annotated, Any, Union

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from plansight.agent.control.avoidance import AvoidanceConfig
from plansight.agent.control.safety import SafetyConfig
from plansight.agent.perception.config_mono import MonoConfig
from plansight.agent.perception.config_persistent import PersistentSSLConfig
from plansight.agent.perception.stereo import StereoConfig
from plansight.hardware.ardrone.config_ardrone import ArdroneConfig
from plansight.sim.airsim.config_airsim import AirSimConfig
from plansight.sim.drone.config_drone import DroneSimConfig

# Registered choices per slot. A new backend adds its config class here and its builder in
# launch/registry.py; pydantic picks the class from the ``type`` field.
EmbodimentConfig = Annotated[Union[DroneSimConfig, AirSimConfig, ArdroneConfig],  # noqa: UP007
                             Field(discriminator="type")]
PerceptionConfig = Annotated[Union[StereoConfig, PersistentSSLConfig, MonoConfig],  # noqa: UP007
                             Field(discriminator="type")]
PolicyConfig = Annotated[Union[AvoidanceConfig], Field(discriminator="type")]  # noqa: UP007


class RecordConfig(BaseModel):
    """What the run folder records besides metrics and events."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    video: bool = True
    video_every: int = Field(2, ge=1, le=100, description="record every n-th control step")
    video_scale: int = Field(3, ge=1, le=8, description="upscale factor of the 128×96 panels")
    dataset: bool = Field(False, description="write flight.h5 (images, stereo depth, ground truth, state)")
    dataset_every: int = Field(2, ge=1, le=100, description="log every n-th control step")


class Mission(BaseModel):
    """A mission: which embodiment, perception and policy, for how long, with which limits."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    description: str = ""
    seed: int = Field(0, ge=0, le=2**31 - 1)
    duration_s: float = Field(gt=0.0, le=3600.0, description="flight time after take-off, seconds")
    embodiment: EmbodimentConfig
    perception: PerceptionConfig = StereoConfig()
    policy: PolicyConfig = AvoidanceConfig()
    safety: SafetyConfig = SafetyConfig()
    record: RecordConfig = RecordConfig()


class MissionError(ValueError):
    """A mission file that cannot be used; ``str(e)`` is one line for the user."""


def load_mission(path: str | Path, overrides: dict[str, Any] | None = None) -> Mission:
    """Read, merge ``overrides`` (top-level keys) and validate a mission YAML file."""
    p = Path(path)
    if not p.is_file():
        raise MissionError(f"{p}: mission file not found")
    try:
        raw = yaml.safe_load(p.read_text())
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise MissionError(f"{p}: not valid YAML{where}: {getattr(e, 'problem', e)}") from None
    if not isinstance(raw, dict):
        raise MissionError(f"{p}: a mission file must be a mapping of keys to values, got {type(raw).__name__}")
    raw.update(overrides or {})
    try:
        return Mission.model_validate(raw)
    except ValidationError as e:
        raise MissionError(f"{p}: {describe_error(e)}") from None


def describe_error(e: ValidationError) -> str:
    """The first validation error as ``field.path: problem (got value)``; allowed keys for typos."""
    err = e.errors(include_url=False)[0]
    kind, loc = err["type"], err["loc"]
    field = ".".join(str(x) for x in _model_path(loc)[0]) or "<top level>"
    if kind == "extra_forbidden":
        owner = _model_path(loc[:-1])[1]
        allowed = ", ".join(sorted(owner.model_fields)) if owner is not None else "?"
        return f"{field}: unknown key; allowed keys here: {allowed}"
    if kind == "missing":
        return f"{field}: required field is missing"
    ctx = err.get("ctx", {})
    if kind == "union_tag_invalid":
        return f"{field}.type: unknown type {ctx.get('tag')!r}; allowed: {ctx.get('expected_tags')}"
    msg = err["msg"].removeprefix("Value error, ")
    got = err.get("input")
    shown = "" if isinstance(got, dict | list) or got is None else f" (got {got!r})"
    return f"{field}: {msg}{shown}"


def _model_path(loc: tuple) -> tuple[list[Any], type[BaseModel] | None]:
    """Strip the union tags pydantic inserts into ``loc`` and find the model owning the last key."""
    model: type[BaseModel] | None = Mission
    out: list[Any] = []
    parts = list(loc)
    while parts:
        key = parts.pop(0)
        out.append(key)
        field = model.model_fields.get(key) if model is not None and isinstance(key, str) else None
        if field is None:
            return out, None
        choices = [a for a in _flatten(field.annotation) if isinstance(a, type) and issubclass(a, BaseModel)]
        if parts and any(_tag_of(c) == parts[0] for c in choices):
            tag = parts.pop(0)
            choices = [c for c in choices if _tag_of(c) == tag]
        model = choices[0] if len(choices) == 1 else None
    return out, model


def _flatten(ann: Any) -> list[Any]:
    origin = typing.get_origin(ann)
    if origin is Annotated:
        return _flatten(typing.get_args(ann)[0])
    if origin in (Union, types.UnionType):
        return [x for a in typing.get_args(ann) for x in _flatten(a)]
    return [ann]


def _tag_of(model: type[BaseModel]) -> Any:
    f = model.model_fields.get("type")
    return f.default if f else None


def _is_tag(choices: list[type[BaseModel]], part: Any) -> bool:
    return any(_tag_of(c) == part for c in choices)
