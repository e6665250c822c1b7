"""``PlanCritic``: a trained ``PlanCriticNet`` that judges video plans: P(the executor succeeds with the plan).

Registry slot ``critic`` (``learned``). A learned planner with a critic uses it three ways
(``DiffusionPlannerConfig``): it picks the best of ``candidates`` samples, it stops refinement once a plan scores at
least the critic's acceptance threshold (and keeps a refined plan only when it scores higher than the plan it
refines), and the score travels with the plan (``VideoPlan.score``) for the runner's logs.

``threshold``: the acceptance threshold chosen on the critic's validation seeds at training (the score that
maximises balanced accuracy there), never on its held-out seeds.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import torch

from plansight.agent.contracts import VideoPlan
from plansight.agent.learning.checkpoint import CheckpointError, load_checkpoint, read_meta
from plansight.agent.learning.video_clips import resize_to
from plansight.agent.planning.config_critic import CriticConfig, CriticNetConfig
from plansight.agent.planning.critic_net import PlanCriticNet
from plansight.agent.shared.builtin import resolve_model
from plansight.agent.shared.frames import to_tensor

log = logging.getLogger(__name__)


def critic_file(spec: str | Path) -> Path:
    """A critic checkpoint path (``builtin:<name>``, a folder holding ``model.safetensors``, or the file)."""
    path = resolve_model(spec)
    return path / "model.safetensors" if path.is_dir() else path


def load_critic_net(spec: str | Path) -> tuple[PlanCriticNet, dict]:
    """The network (eval mode) and its checkpoint's metadata; ``CheckpointError`` naming the file otherwise."""
    path = critic_file(spec)
    meta = read_meta(path)
    try:
        cfg = CriticNetConfig(**meta["config"])
    except (TypeError, ValueError, KeyError) as e:
        raise CheckpointError(f"{path}: not a plan critic ({str(e).splitlines()[0]})") from None
    net = PlanCriticNet(cfg)
    load_checkpoint(path, net)
    return net.eval(), meta


class PlanCritic:
    """See the module docstring."""

    def __init__(self, checkpoint: str | Path, device: str = "cpu") -> None:
        self.net, meta = load_critic_net(checkpoint)
        self.net.to(device)
        self.threshold = float(meta.get("extra", {}).get("threshold", 0.5))
        self._task = {t: i for i, t in enumerate(self.net.cfg.tasks)}
        self._camera = {c: i for i, c in enumerate(self.net.cfg.cameras)}
        log.info("plan critic %s: %s encoder, %dx%d, threshold %.3f", checkpoint, self.net.cfg.encoder,
                 self.net.cfg.width, self.net.cfg.height, self.threshold)

    @classmethod
    def from_config(cls, cfg: CriticConfig, *_context: object) -> PlanCritic:
        """The registry's constructor: ``build("critic", cfg)``."""
        return cls(cfg.checkpoint)

    def ids(self, names: list[str] | np.ndarray, vocab: str) -> torch.Tensor:
        """Task or camera names → (N,) int64 indices; ``ValueError`` naming one the critic does not know."""
        table = self._task if vocab == "task" else self._camera
        try:
            return torch.tensor([table[str(n)] for n in names], dtype=torch.int64)
        except KeyError as e:
            raise ValueError(f"the critic knows no {vocab} {e.args[0]!r}; it knows {', '.join(table)}") from None

    @torch.no_grad()
    def score_frames(self, frames: np.ndarray, tasks: list[str] | np.ndarray, cameras: list[str] | np.ndarray,
                     batch: int = 256) -> np.ndarray:
        """(N, T, h, w, 3) uint8 plans at the critic's size → (N,) P(success) in [0, 1]."""
        c = self.net.cfg
        if frames.ndim != 5 or frames.shape[1:] != (c.frames, c.height, c.width, 3):
            raise ValueError(f"plans are {frames.shape}, the critic reads (N, {c.frames}, {c.height}, {c.width}, 3)")
        task, camera = self.ids(tasks, "task"), self.ids(cameras, "camera")
        out = []
        for i in range(0, len(frames), batch):
            x = to_tensor(frames[i:i + batch]).to(next(self.net.parameters()).device)
            out.append(torch.sigmoid(self.net(x, task[i:i + batch].to(x.device), camera[i:i + batch].to(x.device))))
        return torch.cat(out).cpu().numpy().astype(np.float64) if out else np.zeros(0)

    def score(self, plans: list[VideoPlan]) -> np.ndarray:
        """(len(plans),) P(success) of plans at any size (resized to the critic's); frame counts must match."""
        if not plans:
            return np.zeros(0)
        c = self.net.cfg
        frames = np.stack([resize_to(p.frames, c.height, c.width) for p in plans])
        return self.score_frames(frames, [p.task for p in plans], [p.camera for p in plans])
