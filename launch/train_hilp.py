"""HILP on the drone: φ from unlabelled play flights, a latent-conditioned PPO policy, zero-shot goal reaching.

    python -m plansight.launch.train_hilp --out runs/hilp      # play data, φ, policy, evaluation (bench.rl runs it)

1. **Play data**: flights in the waypoint task's empty 8 × 8 m room under a smooth random velocity command (an
   Ornstein-Uhlenbeck-like process, new heading per flight); no task, no reward. States: world position (m)
   and velocity (m/s).
2. **φ** (``agent/learning/hilp.py``): ‖φ(s) − φ(g)‖ ≈ temporal distance, learnt offline from those flights.
3. **Policy**: PPO (stable-baselines3; SB3 has no offline learner, so the policy learns online in the simulator,
   on the intrinsic reward only) on observations [position, velocity, sin yaw, cos yaw, z], reward
   ⟨φ(s′) − φ(s), z⟩ with z uniform on the unit sphere, new per episode.
4. **Zero-shot goals**: z = (φ(g) − φ(s)) / ‖·‖ recomputed every step, g the goal position at rest. Success:
   within 0.5 m of the goal within 8 s. Compared, on the same 50 start/goal pairs (waypoint seeds 3000–3049),
   with the waypoint PPO policy trained directly on the goal reward.
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import torch

from plansight.agent.learning.hilp import HilpConfig, HilpRepresentation
from plansight.agent.shared.stats import wilson

log = logging.getLogger(__name__)

GOAL_SEEDS = range(3000, 3050)
SUCCESS_RADIUS_M = 0.5


def phi_input(state: np.ndarray) -> np.ndarray:
    """(…, 13) DroneState vectors → (…, 6) φ inputs: world position (m), world velocity (m/s)."""
    return np.asarray(state, np.float32)[..., 0:6]


def collect_play(flights: int = 100, steps: int = 200, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """States (N, 13) and terminals (N,) of random smooth flights (see the module docstring)."""
    from plansight.sim.drone.rl import make_task_env

    env = make_task_env("waypoint", max_steps=steps + 1)
    rng = np.random.default_rng(seed)
    states, terminals = [], []
    for f in range(flights):
        env.reset(seed=seed * 100_000 + f)
        a = np.zeros(4)
        for k in range(steps):
            a = 0.9 * a + 0.35 * rng.normal(size=4)
            a[3] = 0.0
            _, _, term, _, _ = env.step(np.clip(a, -1, 1).astype(np.float32))
            states.append(env.unwrapped.state.to_vector())
            terminals.append(term or k == steps - 1)
            if term:
                break
    env.close()
    return np.asarray(states, np.float32), np.asarray(terminals)


class SkillEnv(gym.Wrapper):
    """The waypoint task's dynamics with HILP's intrinsic reward ⟨φ(s′) − φ(s), z⟩ (scaled ×10) and observation
    [position, velocity, sin yaw, cos yaw, z]. ``set_skill(z)`` fixes z (zero-shot use); otherwise a new z is drawn
    uniformly on the sphere at every reset."""

    def __init__(self, env: gym.Env, rep: HilpRepresentation) -> None:
        super().__init__(env)
        self.rep, self.dim = rep, rep.cfg.dim
        self.observation_space = gym.spaces.Box(-np.inf, np.inf, (8 + self.dim,), np.float32)
        self.z = np.zeros(self.dim, np.float32)
        self._phi = np.zeros(self.dim, np.float32)

    def _obs(self) -> np.ndarray:
        s = self.env.unwrapped.state
        return np.concatenate([s.position, s.velocity, [np.sin(s.yaw), np.cos(s.yaw)], self.z]).astype(np.float32)

    def reset(self, **kw: Any):
        _, info = self.env.reset(**kw)
        z = self.env.unwrapped.np_random.normal(size=self.dim)
        self.z = (z / np.linalg.norm(z)).astype(np.float32)
        self._phi = self.rep.phi(phi_input(self.env.unwrapped.state.to_vector()))
        return self._obs(), info

    def set_skill(self, z: np.ndarray) -> np.ndarray:
        self.z = np.asarray(z, np.float32)
        return self._obs()

    def step(self, action):
        _, _, term, trunc, info = self.env.step(action)
        phi = self.rep.phi(phi_input(self.env.unwrapped.state.to_vector()))
        reward = 10.0 * float(np.dot(phi - self._phi, self.z))
        self._phi = phi
        if info.get("crashed"):
            reward -= 10.0
        return self._obs(), reward, bool(info.get("crashed")), trunc or (term and not info.get("crashed")), info


def train(out: Path, flights: int = 100, phi_steps: int = 5000, policy_steps: int = 60_000, seed: int = 0) -> dict:
    from stable_baselines3 import PPO
    from stable_baselines3.common.vec_env import DummyVecEnv

    from plansight.agent.learning.rl_algos import DEFAULTS
    from plansight.sim.drone.rl import make_task_env

    out.mkdir(parents=True, exist_ok=True)
    states, terminals = collect_play(flights, seed=seed)
    np.savez_compressed(out / "play.npz", states=states, terminals=terminals)
    rep = HilpRepresentation(6, HilpConfig(seed=seed))
    x = phi_input(states)
    losses = [rep.train_step(x, terminals) for _ in range(phi_steps)]
    torch.save(rep.state_dict(), out / "phi.pt")
    env_kw = {"max_steps": 200}
    venv = DummyVecEnv([lambda i=i: SkillEnv(make_task_env("waypoint", **env_kw), rep) for i in range(2)])
    venv.seed(seed)
    model = PPO("MlpPolicy", venv, seed=seed, device="cpu", verbose=0, **DEFAULTS["ppo"])
    model.learn(policy_steps)
    model.save(out / "policy.zip")
    summary = {"play_states": int(len(states)), "play_flights": flights, "phi_steps": phi_steps,
               "phi_loss_last100": round(float(np.mean(losses[-100:])), 4), "policy_steps": policy_steps}
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    return summary


def zero_shot(out: Path, seeds=GOAL_SEEDS) -> dict:
    """HILP-G zero-shot goal reaching over the waypoint task's start/goal pairs for ``seeds``."""
    from stable_baselines3 import PPO

    from plansight.sim.drone.rl import make_task_env

    rep = HilpRepresentation.from_state_dict(torch.load(out / "phi.pt", weights_only=False))
    model = PPO.load(out / "policy.zip", device="cpu")
    env = SkillEnv(make_task_env("waypoint", max_steps=400), rep)
    return _goal_episodes(env, seeds, lambda e, obs: model.predict(
        e.set_skill(rep.skill_towards(phi_input(e.unwrapped.state.to_vector()), _at_rest(e.unwrapped.goal))),
        deterministic=True)[0])


def direct(model_dir: Path, seeds=GOAL_SEEDS) -> dict:
    """The waypoint PPO policy (trained on the goal reward) on the same pairs, same success rule."""
    from stable_baselines3 import PPO

    from plansight.sim.drone.rl import make_task_env

    model = PPO.load(model_dir / "model.zip", device="cpu")
    env = make_task_env("waypoint", max_steps=400)
    return _goal_episodes(env, seeds, lambda e, obs: model.predict(obs, deterministic=True)[0])


def _at_rest(goal: np.ndarray) -> np.ndarray:
    return np.concatenate([goal, np.zeros(3)]).astype(np.float32)


def _goal_episodes(env: gym.Env, seeds, act) -> dict:
    reached, final = 0, []
    for s in seeds:
        obs, _ = env.reset(seed=s)
        u = env.unwrapped
        done, hit = False, False
        while not done:
            obs, _, term, trunc, _ = env.step(act(env, obs))
            d = float(np.linalg.norm(u.state.position - u.goal))
            hit = hit or d < SUCCESS_RADIUS_M
            done = term or trunc or hit
        reached += hit
        final.append(d)
    env.close()
    lo, hi = wilson(reached, len(final))
    return {"goals": len(final), "reached": reached, "ci95": [round(lo, 3), round(hi, 3)],
            "final_distance_m_median": round(float(np.median(final)), 3), "seeds": f"{seeds[0]}-{seeds[-1]}"}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=Path("runs/hilp"))
    ap.add_argument("--flights", type=int, default=100)
    ap.add_argument("--phi-steps", type=int, default=5000)
    ap.add_argument("--policy-steps", type=int, default=60_000)
    ap.add_argument("--direct-model", type=Path, default=None, help="a waypoint model folder to compare with")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    summary = train(args.out, args.flights, args.phi_steps, args.policy_steps)
    summary["zero_shot"] = zero_shot(args.out)
    if args.direct_model is not None:
        summary["direct_goal_conditioned_ppo"] = direct(args.direct_model)
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2))
    log.info("%s", summary)


if __name__ == "__main__":
    main()
