"""Atomic, resumable checkpoints: one safetensors file holding weights, optimizer state and metadata,
plus a JSON sidecar with the same metadata for people and tools.

The safetensors file is authoritative: it is written to a temporary name, fsynced and renamed over
the previous one, so a writer killed at any moment leaves either the old or the new checkpoint, never
a mixture. Its header metadata holds the config (JSON), the training step and a format tag.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save_file

from plansight.agent.shared.atomic import atomic_path, remove_orphans

log = logging.getLogger(__name__)

FORMAT = "plansight-checkpoint-v1"


class CheckpointError(ValueError):
    """A checkpoint that cannot be used; the message says which file and why."""


def save_checkpoint(path: str | Path, model: torch.nn.Module, config: dict[str, Any], step: int,
                    optimizer: torch.optim.Optimizer | None = None, extra: dict[str, Any] | None = None) -> Path:
    """Write ``path`` (``*.safetensors``) atomically and ``path.with_suffix('.json')`` after it. Temporary files
    that a killed earlier save of the same path left behind are deleted first."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    for p in (path, path.with_suffix(".json")):
        for orphan in remove_orphans(p):
            log.info("removed %s, left by a save that was killed", orphan.name)
    tensors = {f"model.{k}": v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    opt_meta: dict[str, Any] = {}
    if optimizer is not None:
        sd = optimizer.state_dict()
        for pid, st in sd["state"].items():
            for name, v in st.items():
                if torch.is_tensor(v):
                    tensors[f"optim.{pid}.{name}"] = v.detach().cpu().contiguous().reshape(v.shape)
                else:
                    opt_meta[f"{pid}.{name}"] = v
        opt_meta["param_groups"] = sd["param_groups"]
    meta = {"format": FORMAT, "config": config, "step": step, "extra": extra or {}}
    header = {"format": FORMAT, "meta": json.dumps(meta), "optim_meta": json.dumps(opt_meta)}
    with atomic_path(path) as tmp:
        save_file(tensors, str(tmp), metadata=header)
    with atomic_path(path.with_suffix(".json")) as tmp:
        tmp.write_text(json.dumps(meta, indent=2))
    return path


def read_meta(path: str | Path) -> dict[str, Any]:
    """The checkpoint's metadata (config, step, extra); raises ``CheckpointError`` if unusable."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: checkpoint not found")
    try:
        with safe_open(str(path), framework="pt") as f:
            header = f.metadata() or {}
    except (SafetensorError, OSError, ValueError) as e:
        raise CheckpointError(f"{path}: not a readable safetensors checkpoint ({e})") from None
    if header.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not a plansight checkpoint (format {header.get('format')!r})")
    return json.loads(header["meta"])


def load_checkpoint(path: str | Path, model: torch.nn.Module,
                    optimizer: torch.optim.Optimizer | None = None) -> dict[str, Any]:
    """Load weights (strictly) and, if given, optimizer state; returns the metadata."""
    path = Path(path)
    meta = read_meta(path)
    tensors = load_file(str(path))
    state = {k[len("model."):]: v for k, v in tensors.items() if k.startswith("model.")}
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as e:
        first = str(e).splitlines()[0]
        raise CheckpointError(f"{path}: weights do not fit this network ({first})") from None
    if optimizer is not None:
        with safe_open(str(path), framework="pt") as f:
            opt_meta = json.loads((f.metadata() or {}).get("optim_meta", "{}"))
        if "param_groups" in opt_meta:
            st: dict[int, dict[str, Any]] = {}
            for k, v in tensors.items():
                if k.startswith("optim."):
                    _, pid, name = k.split(".", 2)
                    st.setdefault(int(pid), {})[name] = v
            for k, v in opt_meta.items():
                if k != "param_groups":
                    pid, name = k.split(".", 1)
                    st.setdefault(int(pid), {})[name] = v
            optimizer.load_state_dict({"state": st, "param_groups": opt_meta["param_groups"]})
    return meta
