"""ACT-JEPA: a policy that predicts an action chunk and, in embedding space, the observations ahead.

Parts (reference §2.1, at CPU scale):
- ``encoder``: the context encoder (``encoder.ContextEncoder``) over the current image, proprio, task and camera;
- ``action_decoder``: ``chunk`` learned queries cross-attending to the context (one ACT decoder layer), then a
  linear head to 4-D actions; deterministic (no CVAE), as in ACT-JEPA;
- ``predictor``: the narrow predictor (``predictor.LatentPredictor``), training only;
- ``target``: an EMA copy of the context encoder, never trained by gradient. Its embedding of the observation
  ``target_offsets`` steps ahead (image and proprio, mean-pooled over its tokens) is what the predictor must match.
  Our targets are whole future observations (I-JEPA style) where the paper's were future proprio sequences only,
  so the predicted embeddings also carry where the objects will be (the world-model probe reads them).

Loss: L1(action chunk, demo actions, padded steps masked) + ``jepa_weight`` · L1(predicted, stop-grad target).
``jepa_weight = 0`` is the ACT baseline: the same encoder and decoder, no predictor and no target pass.
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from plansight.agent.perception.jepa.config_jepa import PROPRIO_DIM, ActJepaConfig
from plansight.agent.perception.jepa.encoder import ContextEncoder
from plansight.agent.perception.jepa.predictor import LatentPredictor

ACTION_DIM = 4


class ActionDecoder(nn.Module):
    """(B, N, D) context → (B, chunk, 4) actions."""

    def __init__(self, cfg: ActJepaConfig) -> None:
        super().__init__()
        d = cfg.d_model
        self.queries = nn.Parameter(torch.randn(cfg.chunk, d) * 0.02)
        layer = nn.TransformerDecoderLayer(d, cfg.heads, cfg.ffn, dropout=0.0, activation="gelu", batch_first=True,
                                           norm_first=True)
        self.blocks = nn.TransformerDecoder(layer, 1)
        self.head = nn.Sequential(nn.LayerNorm(d), nn.Linear(d, ACTION_DIM))

    def forward(self, context: torch.Tensor) -> torch.Tensor:
        q = self.queries.unsqueeze(0).expand(context.shape[0], -1, -1)
        return self.head(self.blocks(q, context))


class ActJepa(nn.Module):
    """See the module docstring. Inputs: images (B, 3, H, W) in [−1, 1], proprio (B, 7) normalised, task and
    camera (B,) int64 indices into ``cfg.tasks`` / ``cfg.cameras``."""

    def __init__(self, cfg: ActJepaConfig) -> None:
        super().__init__()
        self.cfg = cfg
        torch.manual_seed(cfg.seed)
        self.encoder = ContextEncoder(cfg)
        self.action_decoder = ActionDecoder(cfg)
        self.register_buffer("proprio_mean", torch.zeros(PROPRIO_DIM))
        self.register_buffer("proprio_std", torch.ones(PROPRIO_DIM))
        if cfg.jepa:
            self.predictor = LatentPredictor(cfg)
            self.target = copy.deepcopy(self.encoder)
            for p in self.target.parameters():
                p.requires_grad_(False)

    def set_proprio_stats(self, mean, std) -> None:
        """Store the training data's proprio mean and std (7,), used by ``normalize_proprio``."""
        self.proprio_mean.copy_(torch.as_tensor(mean, dtype=torch.float32))
        self.proprio_std.copy_(torch.as_tensor(std, dtype=torch.float32))

    def normalize_proprio(self, proprio: torch.Tensor) -> torch.Tensor:
        """Raw proprio (…, 7) in metres → zero-mean, unit-variance features."""
        return (proprio - self.proprio_mean) / self.proprio_std

    def forward(self, images: torch.Tensor, proprio: torch.Tensor, task: torch.Tensor,
                camera: torch.Tensor) -> torch.Tensor:
        """(B, chunk, 4) actions in [−1, 1] units (unclipped)."""
        return self.action_decoder(self.encoder(images, proprio, task, camera))

    def embed(self, images: torch.Tensor, proprio: torch.Tensor, task: torch.Tensor,
              camera: torch.Tensor) -> torch.Tensor:
        """(B, D) mean-pooled context embedding of one observation (the encoder a probe or a critic reads)."""
        return self.encoder(images, proprio, task, camera).mean(dim=1)

    def losses(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """``action`` (masked L1), ``latent`` (L1 to the EMA targets; 0 for the ACT baseline) and ``total``.

        ``batch``: ``images``, ``proprio``, ``task``, ``camera`` as in ``forward``; ``actions`` (B, chunk, 4) and
        ``valid`` (B, chunk) bool; with JEPA on, ``future_images`` (B, F, 3, H, W) and ``future_proprio`` (B, F, 7).
        """
        ctx = self.encoder(batch["images"], batch["proprio"], batch["task"], batch["camera"])
        pred = self.action_decoder(ctx)
        valid = batch["valid"].unsqueeze(-1).float()
        action = ((pred - batch["actions"]).abs() * valid).sum() / (valid.sum() * ACTION_DIM).clamp_min(1.0)
        latent = torch.zeros((), device=pred.device)
        if self.cfg.jepa:
            b, f = batch["future_images"].shape[:2]
            with torch.no_grad():
                tgt = self.target(batch["future_images"].flatten(0, 1), batch["future_proprio"].flatten(0, 1),
                                  batch["task"].repeat_interleave(f), batch["camera"].repeat_interleave(f))
                tgt = tgt.mean(dim=1).view(b, f, -1)
            latent = (self.predictor(ctx) - tgt).abs().mean()
        return {"action": action, "latent": latent, "total": action + self.cfg.jepa_weight * latent}

    @torch.no_grad()
    def ema_update(self, momentum: float) -> None:
        """target ← momentum · target + (1 − momentum) · encoder (no-op for the ACT baseline)."""
        if not self.cfg.jepa:
            return
        for t, s in zip(self.target.parameters(), self.encoder.parameters(), strict=True):
            t.mul_(momentum).add_(s.detach(), alpha=1.0 - momentum)

    def ema_momentum(self, step: int) -> float:
        """The momentum at training ``step``: linear from ``ema_start`` to ``ema_end`` over ``cfg.steps``."""
        c = self.cfg
        frac = min(max(step / max(c.steps, 1), 0.0), 1.0)
        return c.ema_start + (c.ema_end - c.ema_start) * frac
