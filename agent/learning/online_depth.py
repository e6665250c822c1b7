"""Online self-supervised training of the monocular depth network from stereo ("persistent SSL").

The control loop calls ``add`` with each stereo-labelled frame; training runs either

* ``background``: in a daemon thread, as fast as the CPU allows, never blocking ``add`` beyond a
  buffer lock (the loop only copies one frame in); or
* ``lockstep``: ``tick(dt)`` runs ``steps_per_second · dt`` optimiser steps synchronously, which ties
  training to simulated time — reproducible runs and fair "N simulated minutes" comparisons.

The network used for inference is a separate copy refreshed from the trained weights every
``publish_every`` steps, so inference never sees half-updated weights. Loss: Gaussian NLL on log
depth over stereo-valid pixels only. Checkpoints every ``checkpoint_every`` steps and at least every
``checkpoint_every_s`` seconds of wall time once training runs, atomically.
"""

from __future__ import annotations

import copy
import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from plansight.agent.learning.checkpoint import load_checkpoint, save_checkpoint
from plansight.agent.learning.replay import DepthReplayBuffer
from plansight.agent.perception.config_persistent import LearnerConfig, MonoNetConfig
from plansight.agent.perception.mono_net import LOSSES, MonoDepthNet

log = logging.getLogger(__name__)


@dataclass
class CurvePoint:
    step: int
    loss: float
    samples_seen: int
    wall_s: float


class OnlineDepthLearner:
    """Trains a ``MonoDepthNet`` from a replay buffer; see the module docstring.

    Args:
        net_cfg: network shape.
        cfg: learner settings.
        checkpoint: where periodic checkpoints go (``*.safetensors``), or None.
        init_from: checkpoint to resume from (weights, optimizer, step), or None.
    """

    def __init__(self, net_cfg: MonoNetConfig, cfg: LearnerConfig, checkpoint: str | Path | None = None,
                 init_from: str | Path | None = None) -> None:
        self.cfg, self.net_cfg = cfg, net_cfg
        torch.manual_seed(cfg.seed)
        self.net = MonoDepthNet(net_cfg)
        self.optimizer = torch.optim.AdamW(self.net.parameters(), lr=cfg.learning_rate, weight_decay=1e-4)
        self.step_count = 0
        if init_from is not None:
            meta = load_checkpoint(init_from, self.net, self.optimizer)
            self.step_count = int(meta["step"])
            log.info("resumed depth learner from %s at step %d", init_from, self.step_count)
        self.buffer = DepthReplayBuffer(cfg.buffer_capacity, net_cfg.height, net_cfg.width, cfg.buffer_policy, cfg.seed)
        self.inference_net = copy.deepcopy(self.net).eval()
        self.checkpoint = Path(checkpoint) if checkpoint else None
        self.curve: list[CurvePoint] = []
        self._rng = np.random.default_rng(cfg.seed)
        self._frames = 0
        self._owed = 0.0
        self._t0 = time.perf_counter()
        self._saved_at = self._t0  # wall time of the last checkpoint (``checkpoint_every_s``)
        self._train_lock = threading.RLock()  # save() may run inside train_step()
        self._publish_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.train_time_s = 0.0

    # ------------------------------------------------------------------ data in
    def add(self, image: np.ndarray, depth: np.ndarray, valid: np.ndarray) -> bool:
        """Offer one stereo-labelled frame; returns True if it was stored."""
        self._frames += 1
        if (self._frames - 1) % self.cfg.add_every or valid.mean() < self.cfg.min_valid_fraction:
            return False
        return self.buffer.add(image, depth, valid) is not None

    # ------------------------------------------------------------------ training
    def train_step(self) -> float | None:
        """One optimiser step on a random batch; None if the buffer is not ready yet."""
        if len(self.buffer) < self.cfg.min_buffer:
            return None
        with self._train_lock:
            t = time.perf_counter()
            img, depth, valid = self.buffer.sample(self.cfg.batch_size, self._rng)
            x = torch.from_numpy(img).permute(0, 3, 1, 2).float().div_(255.0)
            d = torch.from_numpy(depth).unsqueeze(1)
            v = torch.from_numpy(valid).unsqueeze(1)
            if self.cfg.hflip:
                flip = torch.from_numpy(self._rng.random(len(x)) < 0.5)
                x[flip], d[flip], v[flip] = x[flip].flip(-1), d[flip].flip(-1), v[flip].flip(-1)
            self.net.train()
            mu, log_var = self.net(x)
            loss = LOSSES[self.cfg.loss](mu, log_var, d, v)
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(self.net.parameters(), 5.0)
            self.optimizer.step()
            self.step_count += 1
            value = float(loss.detach())
            self.train_time_s += time.perf_counter() - t
            self.curve.append(CurvePoint(self.step_count, value, self.buffer.seen, time.perf_counter() - self._t0))
            if self.step_count % self.cfg.publish_every == 0:
                self.publish()
            if self.checkpoint is not None and (
                    self.step_count % self.cfg.checkpoint_every == 0
                    or time.perf_counter() - self._saved_at >= self.cfg.checkpoint_every_s):
                self.save(self.checkpoint)
        return value

    def tick(self, dt: float) -> int:
        """Lockstep mode: run the optimiser steps owed for ``dt`` seconds of flight; returns how many."""
        if self.cfg.mode != "lockstep":
            return 0
        self._owed += self.cfg.steps_per_second * dt
        n = 0
        while self._owed >= 1.0:
            self._owed -= 1.0
            if self.train_step() is None:
                self._owed = 0.0
                break
            n += 1
        return n

    def start(self) -> None:
        """Background mode: start the trainer thread (no-op in lockstep mode)."""
        if self.cfg.mode != "background" or self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="depth-learner", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join(timeout=30)
            self._thread = None
        self.publish()

    def _loop(self) -> None:
        while not self._stop.is_set():
            if self.train_step() is None:
                self._stop.wait(0.05)

    # ------------------------------------------------------------------ inference / persistence
    def publish(self) -> None:
        """Copy the trained weights into the inference network."""
        with self._publish_lock:
            self.inference_net.load_state_dict(self.net.state_dict())
            self.inference_net.eval()

    def predict(self, image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """H×W×3 uint8 → (depth H×W float32 m, variance H×W float32 m²) from the published weights."""
        with self._publish_lock:
            return predict_depth(self.inference_net, image)

    def save(self, path: str | Path) -> Path:
        with self._train_lock:
            self._saved_at = time.perf_counter()
            config = {"net": self.net_cfg.model_dump(mode="json"), "learner": self.cfg.model_dump(mode="json")}
            return save_checkpoint(path, self.net, config, self.step_count,
                                   self.optimizer, extra={"samples_seen": self.buffer.seen})


@torch.inference_mode()
def predict_depth(net: MonoDepthNet, image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Run ``net`` on one H×W×3 uint8 image: depth (m) and variance (m²), H×W float32 each."""
    h, w = net.cfg.height, net.cfg.width
    if image.shape != (h, w, 3):
        raise ValueError(f"mono depth network expects {w}x{h} RGB images, got shape {image.shape}")
    x = torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1).unsqueeze(0).float().div_(255.0)
    mu, log_var = net(x)
    depth = torch.exp(mu)[0, 0]
    var = depth**2 * torch.exp(log_var[0, 0])
    return depth.numpy().astype(np.float32), var.numpy().astype(np.float32)
