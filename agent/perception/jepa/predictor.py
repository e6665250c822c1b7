"""ACT-JEPA's narrow predictor: learned queries, one per target offset, cross-attend to the context tokens in a
thinner space (``predictor_dim``) and return predicted target embeddings in the encoder's width.

Shapes: context (B, N, D) → (B, F, D), F = len(target_offsets).
"""

from __future__ import annotations

import torch
from torch import nn

from plansight.agent.perception.jepa.config_jepa import ActJepaConfig


class LatentPredictor(nn.Module):
    def __init__(self, cfg: ActJepaConfig) -> None:
        super().__init__()
        p = cfg.predictor_dim
        self.inp = nn.Linear(cfg.d_model, p)
        self.queries = nn.Parameter(torch.randn(len(cfg.target_offsets), p) * 0.02)
        heads = 4 if p % 4 == 0 else 1
        layer = nn.TransformerDecoderLayer(p, heads, 4 * p, dropout=0.0, activation="gelu", batch_first=True,
                                           norm_first=True)
        self.blocks = nn.TransformerDecoder(layer, cfg.predictor_layers)
        self.out = nn.Sequential(nn.LayerNorm(p), nn.Linear(p, cfg.d_model))

    def forward(self, context: torch.Tensor) -> torch.Tensor:
        mem = self.inp(context)
        q = self.queries.unsqueeze(0).expand(context.shape[0], -1, -1)
        return self.out(self.blocks(q, mem))
