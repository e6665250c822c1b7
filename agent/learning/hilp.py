"""HILP's Hilbert representation (Park, Kreiman, Levine, ICML 2024): φ with ‖φ(s) − φ(g)‖ ≈ temporal distance.

Learnt offline from unlabelled trajectories as a goal-conditioned value V(s, g) = −‖φ(s) − φ(g)‖ with the
reward −1 until the goal is reached (0 and no bootstrap at the goal), an IQL expectile TD loss and twin target
networks updated softly (the paper's GCRL recipe; ``perception_and_policies.md`` §5.1). Goals are sampled in
hindsight: a later state of the same trajectory with probability ``p_trajgoal``, a random dataset state with
``p_randomgoal``, the state itself otherwise.

Uses: the intrinsic reward ⟨φ(s′) − φ(s), z⟩ of a latent-conditioned policy, and zero-shot goal reaching with
z = (φ(g) − φ(s)) / ‖φ(g) − φ(s)‖.

Shapes: states (N, d) float32; ``terminals`` (N,) bool marks the last state of each trajectory.
"""

from __future__ import annotations

import copy
import logging

import numpy as np
import torch
from pydantic import BaseModel, ConfigDict, Field
from torch import nn

log = logging.getLogger(__name__)


class HilpConfig(BaseModel):
    """φ and its training (defaults: the paper's CPU-scale settings, §5.5)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    dim: int = Field(32, ge=2, le=512, description="skill dimension D")
    hidden: int = Field(256, ge=8)
    layers: int = Field(2, ge=1, le=6)
    expectile: float = Field(0.95, gt=0.5, lt=1.0)
    gamma: float = Field(0.99, gt=0.0, lt=1.0)
    lr: float = Field(3e-4, gt=0.0)
    batch_size: int = Field(256, ge=8)
    tau: float = Field(0.005, gt=0.0, le=1.0, description="soft target update")
    p_trajgoal: float = Field(0.625, ge=0.0, le=1.0)
    p_randomgoal: float = Field(0.375, ge=0.0, le=1.0)
    seed: int = 0


class PhiNet(nn.Module):
    """MLP with LayerNorm: (…, d) → (…, D)."""

    def __init__(self, in_dim: int, cfg: HilpConfig) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        width = in_dim
        for _ in range(cfg.layers):
            layers += [nn.Linear(width, cfg.hidden), nn.LayerNorm(cfg.hidden), nn.GELU()]
            width = cfg.hidden
        layers.append(nn.Linear(width, cfg.dim))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


def expectile_loss(adv: torch.Tensor, diff: torch.Tensor, expectile: float) -> torch.Tensor:
    weight = torch.where(adv >= 0, expectile, 1.0 - expectile)
    return (weight * diff.pow(2)).mean()


class HilpRepresentation:
    """Twin φ networks and their targets; ``phi`` (the first network) is the representation."""

    def __init__(self, in_dim: int, cfg: HilpConfig | None = None) -> None:
        self.cfg = cfg or HilpConfig()
        torch.manual_seed(self.cfg.seed)
        self.in_dim = in_dim
        self.nets = nn.ModuleList([PhiNet(in_dim, self.cfg), PhiNet(in_dim, self.cfg)])
        self.targets = copy.deepcopy(self.nets).requires_grad_(False)
        self.opt = torch.optim.Adam(self.nets.parameters(), lr=self.cfg.lr)
        self.rng = np.random.default_rng(self.cfg.seed)
        self.steps = 0

    @staticmethod
    def _value(nets: nn.ModuleList, s: torch.Tensor, g: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return tuple(-torch.linalg.vector_norm(n(s) - n(g), dim=-1) for n in nets)  # type: ignore[return-value]

    def sample(self, states: np.ndarray, terminals: np.ndarray) -> dict[str, torch.Tensor]:
        """A hindsight-relabelled batch: s, s′, g, reward (0 at the goal, else −1), mask (0 at the goal)."""
        c, n = self.cfg, len(states)
        ends = _trajectory_ends(terminals)
        idx = self.rng.integers(0, n, c.batch_size)
        idx = np.where(terminals[idx], idx - 1, idx).clip(0)  # s′ must be in the same trajectory
        nxt = idx + 1
        u = self.rng.random(c.batch_size)
        future = nxt + (self.rng.random(c.batch_size) * (ends[idx] - nxt + 1)).astype(int)
        goal = np.where(u < c.p_trajgoal, np.minimum(future, ends[idx]),
                        np.where(u < c.p_trajgoal + c.p_randomgoal, self.rng.integers(0, n, c.batch_size), idx))
        at_goal = goal == idx
        t = lambda a: torch.as_tensor(a, dtype=torch.float32)  # noqa: E731
        return {"s": t(states[idx]), "s_next": t(states[nxt]), "g": t(states[goal]),
                "reward": t(at_goal.astype(np.float32) - 1.0), "mask": t(1.0 - at_goal.astype(np.float32))}

    def train_step(self, states: np.ndarray, terminals: np.ndarray) -> float:
        """One expectile TD step on a sampled batch; returns the loss."""
        c, b = self.cfg, self.sample(states, terminals)
        with torch.no_grad():
            nv1, nv2 = self._value(self.targets, b["s_next"], b["g"])
            next_v = torch.minimum(nv1, nv2)
            q = b["reward"] + c.gamma * b["mask"] * next_v
            vt1, vt2 = self._value(self.targets, b["s"], b["g"])
            adv = q - (vt1 + vt2) / 2
            q1, q2 = b["reward"] + c.gamma * b["mask"] * nv1, b["reward"] + c.gamma * b["mask"] * nv2
        v1, v2 = self._value(self.nets, b["s"], b["g"])
        loss = expectile_loss(adv, q1 - v1, c.expectile) + expectile_loss(adv, q2 - v2, c.expectile)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        with torch.no_grad():
            for p, pt in zip(self.nets.parameters(), self.targets.parameters(), strict=True):
                pt.lerp_(p, c.tau)
        self.steps += 1
        return float(loss.detach())

    @torch.no_grad()
    def phi(self, states: np.ndarray) -> np.ndarray:
        """(…, d) states → (…, D) float32 embeddings."""
        return self.nets[0](torch.as_tensor(np.asarray(states), dtype=torch.float32)).numpy()

    def skill_towards(self, state: np.ndarray, goal: np.ndarray) -> np.ndarray:
        """z = (φ(g) − φ(s)) / ‖φ(g) − φ(s)‖, (D,) float32 (zero-shot goal reaching)."""
        d = self.phi(goal) - self.phi(state)
        return (d / max(float(np.linalg.norm(d)), 1e-6)).astype(np.float32)

    def state_dict(self) -> dict:
        return {"nets": self.nets.state_dict(), "in_dim": self.in_dim, "config": self.cfg.model_dump()}

    @classmethod
    def from_state_dict(cls, sd: dict) -> HilpRepresentation:
        rep = cls(int(sd["in_dim"]), HilpConfig(**sd["config"]))
        rep.nets.load_state_dict(sd["nets"])
        rep.targets.load_state_dict(sd["nets"])
        return rep


def _trajectory_ends(terminals: np.ndarray) -> np.ndarray:
    """For every index, the index of the last state of its trajectory (the next terminal at or after it; the last
    index for states after the final terminal)."""
    n = len(terminals)
    last = np.append(np.flatnonzero(terminals), n - 1)
    return last[np.searchsorted(last, np.arange(n))]
