"""``plansight train jepa``: load the ACT-JEPA config (YAML, optional), apply CLI overrides, train."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from plansight.agent.perception.jepa.config_jepa import ActJepaConfig
from plansight.launch.train_video import load_config_file


def load_jepa_config(path: Path | None, overrides: dict[str, Any]) -> ActJepaConfig:
    """YAML mapping of ``ActJepaConfig`` fields (or defaults) plus top-level overrides; one-line errors."""
    return load_config_file(path, overrides, ActJepaConfig)


def run_train_jepa(data: list[Path], out: Path, cfg: ActJepaConfig, resume: bool, threads: int,
                   on_step: Callable[[int, dict[str, float]], None] | None, seeds: list[int] | None = None,
                   flights: bool = False, tasks: list[str] | None = None) -> dict:
    """Train on Meta-World demos (``data``: HDF5 files), or on drone flight logs when ``flights``."""
    import torch

    from plansight.agent.learning.train_jepa import train_jepa  # torch only when training

    for p in data:
        if not p.is_file():
            raise FileNotFoundError(f"--data: {p}: file not found")
    torch.set_num_threads(threads)
    dataset = None
    if flights:
        from plansight.agent.learning.flight_data import FlightPolicyDataset

        dataset = FlightPolicyDataset(data)
    return train_jepa(data, out, cfg, resume=resume, on_step=on_step, seeds=seeds, dataset=dataset, tasks=tasks)
