"""Monocular depth perception from a trained checkpoint (``type: mono_cnn`` in mission files).

One forward pass per frame: depth (m) and its variance from ``MonoDepthNet``; pixels whose
predicted relative standard deviation exceeds ``max_rel_std`` are marked invalid so the avoider
treats them as unknown rather than free.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import torch

from plansight.agent.contracts import CameraModel, DepthEstimate, Observation
from plansight.agent.learning.checkpoint import CheckpointError
from plansight.agent.learning.online_depth import predict_depth
from plansight.agent.perception.config_mono import BUILTIN_PREFIX, MonoConfig
from plansight.agent.perception.mono_net import load_mono_net
from plansight.agent.shared.builtin import resolve_model

log = logging.getLogger(__name__)

WEIGHTS_DIR = Path(__file__).parent / "weights"


def resolve_checkpoint(spec: str) -> Path:
    """``builtin:<name>`` → the shipped file (``agent.shared.builtin``); anything else is a path. Raises
    ``CheckpointError``."""
    try:
        path = resolve_model(spec)
    except ValueError as e:
        raise CheckpointError(str(e)) from None
    if spec.startswith(BUILTIN_PREFIX) and path.suffix != ".safetensors":
        raise CheckpointError(f"{spec} is a video model, not depth weights")
    return path


class MonoDepthPerception:
    """``DepthEstimator`` for one camera from a trained mono network."""

    def __init__(self, cfg: MonoConfig, camera: CameraModel) -> None:
        path = resolve_checkpoint(cfg.checkpoint)
        self.net, meta = load_mono_net(path)
        net_cfg = self.net.cfg
        if (camera.width, camera.height) != (net_cfg.width, net_cfg.height):
            raise CheckpointError(f"{path}: network is {net_cfg.width}x{net_cfg.height} but camera {camera.name!r} "
                                  f"is {camera.width}x{camera.height}")
        if cfg.torch_threads is not None:
            torch.set_num_threads(cfg.torch_threads)  # process-wide; 1 keeps OpenMP from spinning against I/O threads
        self.cfg, self.camera = cfg, camera.name
        self.estimates: dict[str, DepthEstimate] = {}  # named estimates of this frame, for the recorder
        log.info("mono depth from %s (step %s)", path, meta.get("step"))

    def estimate(self, obs: Observation) -> DepthEstimate:
        depth, var = predict_depth(self.net, obs.images[self.camera])
        valid = np.sqrt(var) < self.cfg.max_rel_std * depth
        est = DepthEstimate(self.camera, depth, valid, var, source="mono_cnn")
        self.estimates = {"mono": est}
        return est
