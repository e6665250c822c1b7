"""Bounded replay buffer of (left image, stereo depth, stereo validity) for online depth learning.

Eviction policy: **reservoir sampling over a ring**. The first ``capacity`` samples fill the
buffer; after that, sample ``n`` (counting from 0) replaces a uniformly random slot with
probability ``capacity / n``. The buffer is then a uniform sample of *everything seen so far*, so
the early stereo-flight data is not flushed out by the (biased) data of monocular flight — the
feedback-induced data bias of van Hecke et al. is countered by keeping the old distribution while
still admitting new states. ``policy="fifo"`` gives the paper's plain ring buffer instead.

Storage: images uint8 (H×W×3), depth float16 metres, validity bool — ≈ 62 KB per 128×96 sample.
Thread-safe: the control loop adds while a trainer thread samples.
"""

from __future__ import annotations

import threading
from typing import Literal

import numpy as np


class DepthReplayBuffer:
    """Fixed-capacity store; see the module docstring for the eviction policy."""

    def __init__(self, capacity: int, height: int, width: int, policy: Literal["reservoir", "fifo"] = "reservoir",
                 seed: int = 0) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity, self.height, self.width, self.policy = capacity, height, width, policy
        self.images = np.zeros((capacity, height, width, 3), np.uint8)
        self.depth = np.zeros((capacity, height, width), np.float16)
        self.valid = np.zeros((capacity, height, width), bool)
        self.seen = 0
        self._size = 0
        self._rng = np.random.default_rng(seed)
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return self._size

    def add(self, image: np.ndarray, depth: np.ndarray, valid: np.ndarray) -> int | None:
        """Store one sample; returns the slot written, or None if reservoir sampling skipped it."""
        if image.shape != (self.height, self.width, 3) or depth.shape != (self.height, self.width):
            raise ValueError(f"sample must be {self.width}x{self.height}, got image {image.shape}, depth {depth.shape}")
        with self._lock:
            n = self.seen
            self.seen += 1
            if self._size < self.capacity:
                slot: int | None = self._size
                self._size += 1
            elif self.policy == "fifo":
                slot = n % self.capacity
            else:
                j = int(self._rng.integers(0, n + 1))
                slot = j if j < self.capacity else None
            if slot is not None:
                self.images[slot] = image
                self.depth[slot] = np.minimum(depth, 6e4)
                self.valid[slot] = valid
            return slot

    def sample(self, batch: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """A random batch (with replacement): images B×H×W×3 uint8, depth B×H×W float32, valid B×H×W bool."""
        with self._lock:
            if self._size == 0:
                raise ValueError("replay buffer is empty")
            idx = rng.integers(0, self._size, size=batch)
            return self.images[idx].copy(), self.depth[idx].astype(np.float32), self.valid[idx].copy()
