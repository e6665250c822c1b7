"""The context encoder: image tokens from a small strided CNN, plus proprio, task and camera tokens, mixed by a
transformer encoder. The same module, EMA-averaged, is ACT-JEPA's target encoder.

Shapes: images (B, 3, H, W) float32 in [−1, 1]; proprio (B, 7) normalised; task, camera (B,) int64.
Output tokens (B, 3 + h·w, D) with h·w image tokens at 1/16 of the image size (96×72 → 6×5 = 30 tokens).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from plansight.agent.perception.jepa.config_jepa import PROPRIO_DIM, ActJepaConfig


def sincos_2d(h: int, w: int, dim: int) -> torch.Tensor:
    """(h·w, dim) fixed 2-D sine-cosine position codes (half the channels for rows, half for columns)."""
    quarter = dim // 4
    freq = torch.exp(-math.log(10000.0) * torch.arange(quarter) / max(quarter, 1))
    ys, xs = torch.meshgrid(torch.arange(h, dtype=torch.float32), torch.arange(w, dtype=torch.float32), indexing="ij")
    parts = []
    for grid in (ys.flatten(), xs.flatten()):
        angle = grid[:, None] * freq[None]
        parts += [angle.sin(), angle.cos()]
    pe = torch.cat(parts, dim=1)
    return nn.functional.pad(pe, (0, dim - pe.shape[1]))


class ImageTokens(nn.Module):
    """A 4×4 stride-4 stem and two 3×3 stride-2 convolutions (GroupNorm, GELU): (B, 3, H, W) → (B, h·w, D)."""

    def __init__(self, d_model: int) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(3, 32, 4, stride=4), nn.GroupNorm(8, 32), nn.GELU(),
            nn.Conv2d(32, 64, 3, stride=2, padding=1), nn.GroupNorm(8, 64), nn.GELU(),
            nn.Conv2d(64, d_model, 3, stride=2, padding=1), nn.GroupNorm(8, d_model), nn.GELU(),
        )

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        f = self.net(images)
        return f.flatten(2).transpose(1, 2)

    @staticmethod
    def grid(width: int, height: int) -> tuple[int, int]:
        """The token grid (h, w) for an input of ``width × height`` pixels."""
        def side(n: int) -> int:
            n = n // 4
            for _ in range(2):
                n = (n + 1) // 2
            return n
        return side(height), side(width)


class ContextEncoder(nn.Module):
    """Tokens [task, camera, proprio, image…] → a pre-norm transformer encoder → (B, 3 + h·w, D)."""

    def __init__(self, cfg: ActJepaConfig) -> None:
        super().__init__()
        d = cfg.d_model
        self.image = ImageTokens(d)
        self.task = nn.Embedding(max(len(cfg.tasks), 1), d)
        self.camera = nn.Embedding(max(len(cfg.cameras), 1), d)
        self.proprio = nn.Linear(PROPRIO_DIM, d)
        h, w = ImageTokens.grid(cfg.width, cfg.height)
        self.register_buffer("pos", sincos_2d(h, w, d), persistent=False)
        self.kind = nn.Parameter(torch.zeros(3, d))  # learned codes for the three non-image tokens
        layer = nn.TransformerEncoderLayer(d, cfg.heads, cfg.ffn, dropout=0.0, activation="gelu", batch_first=True,
                                           norm_first=True)
        self.blocks = nn.TransformerEncoder(layer, cfg.layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d)

    def forward(self, images: torch.Tensor, proprio: torch.Tensor, task: torch.Tensor,
                camera: torch.Tensor) -> torch.Tensor:
        img = self.image(images) + self.pos
        head = torch.stack([self.task(task), self.camera(camera), self.proprio(proprio)], dim=1) + self.kind
        return self.norm(self.blocks(torch.cat([head, img], dim=1)))
