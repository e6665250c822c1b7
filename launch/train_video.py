"""``plansight train video``: load the training config (YAML, optional), apply CLI overrides, train."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from plansight.agent.planning.config_video import TrainVideoConfig
from plansight.agent.shared.errors import describe_error
from plansight.agent.shared.yaml_io import YamlInputError, check_finite, load_yaml
from plansight.launch.mission import MissionError

M = TypeVar("M", bound=BaseModel)


def load_train_config(path: Path | None, overrides: dict[str, Any]) -> TrainVideoConfig:
    """YAML mapping of ``TrainVideoConfig`` fields (or defaults) plus top-level overrides; one-line errors."""
    return load_config_file(path, overrides, TrainVideoConfig)


def load_config_file(path: Path | None, overrides: dict[str, Any], cls: type[M]) -> M:
    """A YAML mapping of ``cls`` fields (or the defaults) plus the non-None top-level ``overrides``, validated;
    ``MissionError`` with one line naming the file and the field otherwise."""
    raw: dict[str, Any] = {}
    if path is not None:
        if not path.is_file():
            raise MissionError(f"{path}: config file not found")
        try:
            raw = load_yaml(path) or {}
            check_finite(raw)
        except YamlInputError as e:
            raise MissionError(str(e) if str(e).startswith(str(path)) else f"{path}: {e}") from None
        if not isinstance(raw, dict):
            raise MissionError(f"{path}: expected a mapping of settings")
    raw.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return cls.model_validate(raw)
    except ValidationError as e:
        raise MissionError(f"{path or 'config'}: {describe_error(e, cls)}") from None


def run(data: list[Path], out: Path, cfg: TrainVideoConfig, resume: bool,
        on_step: Callable[[int, float], None] | None) -> dict:
    from plansight.agent.learning.train_video import train_video  # torch, diffusers, accelerate only when training

    return train_video(data, out, cfg, resume=resume, on_step=on_step)
