"""HILP's Hilbert representation (Park, Kreiman, Levine, ICML 2024): φ with ‖φ(s) − φ(g)‖ ≈ temporal distance.

Learnt offline from unlabelled trajectories as a goal-conditioned value V(s, g) = −‖φ(s) − φ(g)‖ with the
reward −1 until the goal is reached (0 and no bootstrap at the goal), an IQL expectile TD loss and twin target
networks updated softly (the paper's GCRL recipe; ``perception_and_policies.md`` §5.1). Goals are sampled in
hindsight, as HILP's ``GCDataset`` does:

* with probability ``p_trajgoal``, a later state of the same trajectory, ``k`` steps ahead with ``k`` geometric
  (``k = ceil(log(1 − u) / log γ)``, u uniform in [0, 1): mean 1 / (1 − γ) steps, 100 at γ = 0.99), capped at the
  trajectory's last state (``geom_sample``; without it, uniform over the rest of the trajectory);
* with probability ``p_randomgoal``, a random dataset state;
* with the remaining probability ``1 − p_trajgoal − p_randomgoal`` (HILP's ``p_currgoal``: 0 with the defaults, so
  this branch does not fire unless the two are lowered), the state itself.

Whatever the branch, a goal equal to the sampled state counts as reached (reward 0, no bootstrap).

Uses: the intrinsic reward ⟨φ(s′) − φ(s), z⟩ of a latent-conditioned policy, and zero-shot goal reaching with
z = (φ(g) − φ(s)) / ‖φ(g) − φ(s)‖.

Shapes: states (N, d) float32 (d = ``in_dim``, whatever the caller feeds φ, e.g. world position in metres);
``terminals`` (N,) bool marks the last state of each trajectory (the last dataset state ends one in any case);
embeddings (…, D) float32 with D = ``HilpConfig.dim``.
"""

from __future__ import annotations

import copy
import logging

import numpy as np
import torch
from pydantic import BaseModel, ConfigDict, Field, model_validator
from torch import nn

log = logging.getLogger(__name__)


class HilpConfig(BaseModel):
    """φ and its training (defaults: the paper's CPU-scale settings, §5.5)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    dim: int = Field(32, ge=2, le=512, description="skill dimension D")
    hidden: int = Field(256, ge=8)
    layers: int = Field(2, ge=1, le=6)
    expectile: float = Field(0.95, gt=0.5, lt=1.0)
    gamma: float = Field(0.99, gt=0.0, lt=1.0, description="discount per dataset step; also the geometric goal "
                         "offset's parameter")
    lr: float = Field(3e-4, gt=0.0)
    batch_size: int = Field(256, ge=8)
    tau: float = Field(0.005, gt=0.0, le=1.0, description="soft target update")
    p_trajgoal: float = Field(0.625, ge=0.0, le=1.0, description="goal from later in the same trajectory")
    p_randomgoal: float = Field(0.375, ge=0.0, le=1.0, description="goal anywhere in the dataset; the rest of the "
                                "probability, 1 − p_trajgoal − p_randomgoal, is the state itself")
    geom_sample: bool = Field(True, description="trajectory goals a geometric number of steps ahead (HILP's "
                              "geom_sample); False: uniform over the rest of the trajectory")
    seed: int = 0

    @model_validator(mode="after")
    def _goal_probabilities(self) -> HilpConfig:
        if self.p_trajgoal + self.p_randomgoal > 1.0 + 1e-9:
            raise ValueError(f"p_trajgoal + p_randomgoal = {self.p_trajgoal + self.p_randomgoal} exceeds 1")
        return self


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
        self._ends: tuple[np.ndarray, np.ndarray] | None = None  # (terminals, their _trajectory_ends), reused

    @staticmethod
    def _value(nets: nn.ModuleList, s: torch.Tensor, g: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return tuple(-torch.linalg.vector_norm(n(s) - n(g), dim=-1) for n in nets)  # type: ignore[return-value]

    @staticmethod
    def _value_to(nets: nn.ModuleList, s: torch.Tensor, goal_phi: list[torch.Tensor]) -> tuple[torch.Tensor, ...]:
        """``_value`` with the goals' embeddings already computed, one per network."""
        return tuple(-torch.linalg.vector_norm(n(s) - pg, dim=-1) for n, pg in zip(nets, goal_phi, strict=True))

    def sample(self, states: np.ndarray, terminals: np.ndarray) -> dict[str, torch.Tensor]:
        """A hindsight-relabelled batch (module docstring): s, s′, g (B, d), reward (B,) (0 at the goal, else −1),
        mask (B,) (0 at the goal)."""
        c, n = self.cfg, len(states)
        ends = self._trajectory_ends(terminals)
        idx = self.rng.integers(0, n, c.batch_size)
        idx = np.where(ends[idx] == idx, idx - 1, idx).clip(0)  # s′ must be in the same trajectory
        nxt = idx + 1
        if c.geom_sample:  # HILP's GCDataset: k = ceil(log(1 − u) / log γ) steps ahead of s, u in [0, 1)
            k = np.ceil(np.log1p(-self.rng.random(c.batch_size)) / np.log(c.gamma)).astype(np.int64)
            future = np.minimum(idx + k, ends[idx])
        else:  # uniform over s′ … the trajectory's last state
            future = np.minimum(nxt + (self.rng.random(c.batch_size) * (ends[idx] - nxt + 1)).astype(int), ends[idx])
        u = self.rng.random(c.batch_size)
        goal = np.where(u < c.p_trajgoal, future,
                        np.where(u < c.p_trajgoal + c.p_randomgoal, self.rng.integers(0, n, c.batch_size), idx))
        at_goal = goal == idx
        t = lambda a: torch.as_tensor(a, dtype=torch.float32)  # noqa: E731
        return {"s": t(states[idx]), "s_next": t(states[nxt]), "g": t(states[goal]),
                "reward": t(at_goal.astype(np.float32) - 1.0), "mask": t(1.0 - at_goal.astype(np.float32))}

    def _trajectory_ends(self, terminals: np.ndarray) -> np.ndarray:
        """``_trajectory_ends(terminals)``, computed once per terminals array (training passes the same one)."""
        if self._ends is None or self._ends[0] is not terminals:
            self._ends = (terminals, _trajectory_ends(np.asarray(terminals, bool)))
        return self._ends[1]

    def train_step(self, states: np.ndarray, terminals: np.ndarray) -> float:
        """One expectile TD step on a sampled batch; returns the loss."""
        c, b = self.cfg, self.sample(states, terminals)
        with torch.no_grad():
            goal_phi = [n(b["g"]) for n in self.targets]  # φ_target(g), shared by V(s′, g) and V(s, g)
            nv1, nv2 = self._value_to(self.targets, b["s_next"], goal_phi)
            next_v = torch.minimum(nv1, nv2)
            q = b["reward"] + c.gamma * b["mask"] * next_v
            vt1, vt2 = self._value_to(self.targets, b["s"], goal_phi)
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
    """(N,) int: for every index, the index of the last state of its trajectory (the next terminal at or after it;
    the last index for states after the final terminal)."""
    n = len(terminals)
    last = np.append(np.flatnonzero(terminals), n - 1)
    return last[np.searchsorted(last, np.arange(n))]
