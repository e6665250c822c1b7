"""Image goals for HILP: ψ, a small CNN that maps one camera image to φ's latent space, ψ(image) ≈ φ(state).

HILP's φ (``agent/learning/hilp.py``) reads states. A goal given as a picture (the left camera's view from the goal
pose) enters the same space through ψ, trained by regression on the frames of recorded flights: each frame's
image against φ of the state it was taken at (the flight log's ``/state``). Zero-shot reaching then uses
z = (ψ(goal image) − φ(s)) / ‖·‖ with the state-reading φ for the drone's own state.

Shapes: images (N, H, W, 3) uint8 RGB at any size (resized to ``ImageGoalConfig.width × height`` with OpenCV's
area filter); embeddings (N, D) float32, D = φ's dimension.
"""

from __future__ import annotations

import logging

import cv2
import numpy as np
import torch
from pydantic import BaseModel, ConfigDict, Field
from torch import nn

log = logging.getLogger(__name__)


class ImageGoalConfig(BaseModel):
    """ψ's input size (pixels), width and training (Adam, MSE on φ's embedding)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    width: int = Field(64, ge=16)
    height: int = Field(48, ge=16)
    channels: tuple[int, ...] = (32, 64, 96, 128)
    lr: float = Field(1e-3, gt=0.0)
    batch_size: int = Field(64, ge=4)
    seed: int = 0


class ImageGoalEncoder(nn.Module):
    """Strided 3×3 convolutions (GroupNorm, GELU), global average pooling, a linear head to D."""

    def __init__(self, dim: int, cfg: ImageGoalConfig | None = None) -> None:
        super().__init__()
        self.cfg, self.dim = cfg or ImageGoalConfig(), dim
        torch.manual_seed(self.cfg.seed)
        layers: list[nn.Module] = []
        width = 3
        for c in self.cfg.channels:
            layers += [nn.Conv2d(width, c, 3, stride=2, padding=1), nn.GroupNorm(8, c), nn.GELU()]
            width = c
        self.features = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.head = nn.Sequential(nn.Linear(width, 256), nn.GELU(), nn.Linear(256, dim))

    def prepare(self, images: np.ndarray) -> torch.Tensor:
        """(N, H, W, 3) uint8 → (N, 3, h, w) float32 in [−1, 1] at the configured size."""
        c = self.cfg
        imgs = np.asarray(images)
        if imgs.ndim == 3:
            imgs = imgs[None]
        if imgs.shape[1:3] != (c.height, c.width):
            imgs = np.stack([cv2.resize(im, (c.width, c.height), interpolation=cv2.INTER_AREA) for im in imgs])
        return torch.as_tensor(imgs, dtype=torch.float32).permute(0, 3, 1, 2) / 127.5 - 1.0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))

    @torch.no_grad()
    def embed(self, images: np.ndarray) -> np.ndarray:
        """(N, H, W, 3) or (H, W, 3) uint8 images → (N, D) float32 embeddings."""
        self.eval()
        return self(self.prepare(images)).numpy()

    def fit(self, images: np.ndarray, targets: np.ndarray, steps: int, held_out: float = 0.1) -> dict:
        """Regress ``targets`` (N, D) (φ of each image's state) from ``images`` (N, H, W, 3) uint8 for ``steps``
        Adam steps; the last ``held_out`` fraction of frames (whole flights when the frames are in flight order)
        is kept out and scored. Returns the training loss of the last 100 steps and the held-out RMSE relative to
        the targets' spread (0: perfect, 1: no better than their mean)."""
        x = self.prepare(images)
        y = torch.as_tensor(np.asarray(targets, np.float32))
        n_val = max(1, int(len(x) * held_out))
        xt, yt, xv, yv = x[:-n_val], y[:-n_val], x[-n_val:], y[-n_val:]
        opt = torch.optim.Adam(self.parameters(), lr=self.cfg.lr)
        rng = np.random.default_rng(self.cfg.seed)
        losses = []
        self.train()
        for k in range(steps):
            idx = torch.as_tensor(rng.integers(0, len(xt), self.cfg.batch_size))
            loss = nn.functional.mse_loss(self(xt[idx]), yt[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            losses.append(float(loss.detach()))
            if (k + 1) % 1000 == 0:
                log.info("ψ step %d/%d: loss %.4f", k + 1, steps, np.mean(losses[-100:]))
        self.eval()
        with torch.no_grad():
            pred = torch.cat([self(xv[i:i + 256]) for i in range(0, len(xv), 256)])
        spread = float(torch.sqrt(((yv - yv.mean(0)) ** 2).sum(1).mean()))
        rmse = float(torch.sqrt(((pred - yv) ** 2).sum(1).mean()))
        return {"loss_last100": round(float(np.mean(losses[-100:])), 4) if losses else None,
                "held_out_frames": n_val, "held_out_relative_rmse": round(rmse / max(spread, 1e-9), 3)}

    def state_dict_full(self) -> dict:
        return {"weights": self.state_dict(), "dim": self.dim, "config": self.cfg.model_dump()}

    @classmethod
    def from_state_dict_full(cls, sd: dict) -> ImageGoalEncoder:
        enc = cls(int(sd["dim"]), ImageGoalConfig(**sd["config"]))
        enc.load_state_dict(sd["weights"])
        enc.eval()
        return enc
