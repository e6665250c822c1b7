"""``PlanCriticNet``: a video plan → the logit of P(the executor succeeds with it).

Shapes: ``frames`` (B, T, 3, h, w) float in [−1, 1] at ``cfg.width × cfg.height``, frame 0 the observed one;
``task``, ``camera`` (B,) int64 indices into ``cfg.tasks`` / ``cfg.cameras``. Output (B,) logits.

Two encoders (``cfg.encoder``), the same head:

* ``cnn``: each frame stacked with its difference to frame 0 (6 channels: what is there, and what moved) →
  three 3×3 stride-2 convolutions (GroupNorm, GELU) → global mean → ``dim``; trained with the head.
* ``act_jepa``: the frozen ACT-JEPA context encoder (``ActJepa.embed``: mean of its output tokens, 128-d) of each
  frame, resized to the encoder's size, with the encoder's own task and camera tokens and proprio 0 (normalised
  training mean: plans carry no proprio) → [e_t, e_t − e_0] → linear → ``dim``.

Head: the T frame features, a task and a camera embedding, concatenated → MLP (``hidden``, dropout) → 1.
"""

from __future__ import annotations

import torch
from torch import nn

from plansight.agent.planning.config_critic import CriticNetConfig


class FrameCNN(nn.Module):
    """(N, 6, h, w) → (N, dim)."""

    def __init__(self, channels: tuple[int, int, int], dim: int) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        c_in = 6
        for c in channels:
            layers += [nn.Conv2d(c_in, c, 3, stride=2, padding=1), nn.GroupNorm(4, c), nn.GELU()]
            c_in = c
        self.net = nn.Sequential(*layers)
        self.out = nn.Linear(c_in, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.net(x).mean(dim=(2, 3)))


class PlanCriticNet(nn.Module):
    """See the module docstring."""

    def __init__(self, cfg: CriticNetConfig) -> None:
        super().__init__()
        self.cfg = cfg
        if cfg.encoder == "cnn":
            self.cnn = FrameCNN(cfg.channels, cfg.dim)
        else:
            from plansight.agent.perception.jepa.config_jepa import ActJepaConfig
            from plansight.agent.perception.jepa.encoder import ContextEncoder

            if cfg.jepa is None:
                raise ValueError("an act_jepa critic needs the ACT-JEPA config (jepa)")
            self.jepa_cfg = ActJepaConfig(**cfg.jepa)
            self.jepa = ContextEncoder(self.jepa_cfg)
            self.jepa.requires_grad_(False)
            self.jepa_task = {t: i for i, t in enumerate(self.jepa_cfg.tasks)}
            self.jepa_camera = {c: i for i, c in enumerate(self.jepa_cfg.cameras)}
            self.proj = nn.Linear(2 * self.jepa_cfg.d_model, cfg.dim)
        self.task_emb = nn.Embedding(len(cfg.tasks), cfg.dim)
        self.camera_emb = nn.Embedding(len(cfg.cameras), cfg.dim)
        self.head = nn.Sequential(nn.Linear((cfg.frames + 2) * cfg.dim, cfg.hidden), nn.GELU(),
                                  nn.Dropout(cfg.dropout), nn.Linear(cfg.hidden, 1))

    @property
    def trainable_encoder(self) -> bool:
        return self.cfg.encoder == "cnn"

    def encode(self, frames: torch.Tensor, task: torch.Tensor, camera: torch.Tensor) -> torch.Tensor:
        """(B, T, 3, h, w) → (B, T, E) per-frame features before the head's projection (E: ``dim`` for the CNN,
        2 × 128 for ACT-JEPA). Frozen for ACT-JEPA, so a trainer may compute it once."""
        b, t = frames.shape[:2]
        if self.cfg.encoder == "cnn":
            x = torch.cat([frames, frames - frames[:, :1]], dim=2).flatten(0, 1)
            return self.cnn(x).view(b, t, -1)
        j = self.jepa_cfg
        x = nn.functional.interpolate(frames.flatten(0, 1), size=(j.height, j.width), mode="bilinear",
                                      align_corners=False)
        n = x.shape[0]
        tasks = self._jepa_ids(task, self.cfg.tasks, self.jepa_task, "task").repeat_interleave(t)
        cams = self._jepa_ids(camera, self.cfg.cameras, self.jepa_camera, "camera").repeat_interleave(t)
        with torch.no_grad():
            e = self.jepa(x, torch.zeros(n, 7, device=x.device), tasks, cams).mean(dim=1).view(b, t, -1)
        return torch.cat([e, e - e[:, :1]], dim=-1)

    @staticmethod
    def _jepa_ids(ids: torch.Tensor, names: tuple[str, ...], vocab: dict[str, int], what: str) -> torch.Tensor:
        try:
            return torch.tensor([vocab[names[i]] for i in ids.tolist()], dtype=torch.int64, device=ids.device)
        except KeyError as e:
            raise ValueError(f"the ACT-JEPA encoder has no {what} {e.args[0]!r}") from None

    def judge(self, feats: torch.Tensor, task: torch.Tensor, camera: torch.Tensor) -> torch.Tensor:
        """(B, T, E) features → (B,) logits."""
        f = feats if self.cfg.encoder == "cnn" else self.proj(feats)
        x = torch.cat([f.flatten(1), self.task_emb(task), self.camera_emb(camera)], dim=1)
        return self.head(x).squeeze(1)

    def forward(self, frames: torch.Tensor, task: torch.Tensor, camera: torch.Tensor) -> torch.Tensor:
        return self.judge(self.encode(frames, task, camera), task, camera)

    def train(self, mode: bool = True) -> PlanCriticNet:
        super().train(mode)
        if self.cfg.encoder == "act_jepa":
            self.jepa.eval()  # frozen: never in training mode
        return self
