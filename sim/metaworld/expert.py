"""Meta-World's scripted expert as an ``ArmPolicy`` (``arm_policy: {type: expert}``): the privileged baseline
that generates our training demonstrations, runnable as a mission like any policy.

It reads Meta-World's 39-dim state (``Observation.state``: hand, gripper, object poses, goal) and returns the
expert's action clipped to [-1, 1] per axis, converted to an ``ArmCommand`` (``action_scale`` metres per unit).
"""

from __future__ import annotations

import numpy as np

from plansight.agent.contracts import ArmCommand, Observation
from plansight.sim.metaworld.arm_sim import MetaWorldArm, expert_policy
from plansight.sim.metaworld.config_expert import ExpertPolicyConfig


class ExpertArmPolicy:
    """See the module docstring. ``action_scale_m``: metres per action unit (Meta-World's 0.01)."""

    def __init__(self, action_scale_m: float = 0.01) -> None:
        self.action_scale_m = action_scale_m
        self._policy = None

    @classmethod
    def from_config(cls, cfg: ExpertPolicyConfig, arm: MetaWorldArm | None = None) -> ExpertArmPolicy:
        """The registry's constructor: ``build("arm_policy", cfg, arm)`` (Meta-World's action scale is 1 cm)."""
        return cls()

    def reset(self, obs: Observation, task: str, camera: str) -> None:
        self._policy = expert_policy(task)

    def act(self, obs: Observation) -> ArmCommand:
        if self._policy is None:
            raise RuntimeError("call reset() first")
        a = np.clip(self._policy.get_action(np.asarray(obs.state)), -1.0, 1.0)
        return ArmCommand(dxyz=tuple(float(x) * self.action_scale_m for x in a[:3]), gripper=float(a[3]))
