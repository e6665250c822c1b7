"""HILP on the drone: φ from unlabelled play flights, a latent-conditioned PPO policy, zero-shot goal reaching.

    python -m plansight.launch.train_hilp --out runs/hilp      # play data, φ, policy, evaluation
    python -m plansight.launch.train_hilp --out runs/hilp --direct-model launch/models/rl_waypoint_ppo  # + baseline

1. **Play data** (``collect_play``): flights of ``--flight-seconds`` (15 s, 750 steps at 50 Hz) in the waypoint
   task's empty 8 × 8 m room; no task, no reward. Each flight cruises at a speed drawn per flight (0.3–1 m/s)
   along a mean heading that drifts (a random walk) and turns back towards the centre near the edge of the
   ±3 m goal area, with a smooth (Ornstein-Uhlenbeck-like) perturbation, holding a target altitude drawn per leg
   in the test goals' range (0.7–1.5 m); legs of 2–6 s alternate with rests of 1–2 s (the drone decelerates to a
   stop at a random point and hovers), about a quarter of each flight (~12 % of the states under 0.05 m/s).
   Commands are world-frame and turned into the task's body-frame action at the drone's heading
   (``world_action_to_body``). Recorded in ``play.npz``: ``states`` (N, 13) float32 ``DroneState`` vectors (world
   position m, world velocity m/s, roll/pitch/yaw rad, body rates rad/s, airborne) and ``terminals`` (N,) bool
   (the last state of each flight). Flight ``f`` uses the env seed ``seed · 100000 + f``, skipping the evaluation
   seeds (``GOAL_SEEDS``).
2. **φ** (``agent/learning/hilp.py``): ‖φ(s) − φ(g)‖ ≈ temporal distance, learnt offline from those flights
   (100,000 steps by default, the spec's 100–200k; goals a geometric number of steps ahead). Its input
   (``phi_input``) is the world position (m) only by default (``--phi-input position``): the goals are positions,
   and a φ that sees velocity pays the intrinsic reward for speed in any direction.
3. **Policy**: PPO (stable-baselines3; SB3 has no offline learner, so the policy learns online in the simulator,
   on the intrinsic reward only) in ``SkillEnv``: observation [world position m, world velocity m/s, z], action
   world-frame (x, y, z velocity and yaw rate, rotated into the task's body frame at the drone's heading, the same
   in training and in the zero-shot evaluation), reward ⟨φ(s′) − φ(s), z⟩ with z uniform on the unit sphere, new
   per episode.
4. **Zero-shot goals**: z = (φ(g) − φ(s)) / ‖·‖ recomputed every step, g the goal position at rest. Success:
   within 0.5 m of the goal within 8 s. Compared, on the same 50 start/goal pairs (waypoint seeds 3000–3049),
   with the waypoint PPO policy trained directly on the goal reward.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import torch

from plansight.agent.learning.hilp import HilpConfig, HilpRepresentation
from plansight.agent.shared.features import world_to_body
from plansight.agent.shared.stats import wilson

log = logging.getLogger(__name__)

GOAL_SEEDS = range(3000, 3050)
SUCCESS_RADIUS_M = 0.5
CONTROL_HZ = 50.0  # one env step = 20 ms

PHI_INPUTS: dict[str, slice] = {"position": slice(0, 3), "position_velocity": slice(0, 6)}
"""φ input name → the ``DroneState`` vector entries it reads: world position (m); world position and velocity."""


def phi_input(state: np.ndarray, kind: str = "position") -> np.ndarray:
    """(…, 13) DroneState vectors → φ inputs: (…, 3) world position (m) for ``position`` (the default), (…, 6)
    world position (m) and velocity (m/s) for ``position_velocity``."""
    if kind not in PHI_INPUTS:
        raise ValueError(f"unknown φ input {kind!r}; choose from {', '.join(PHI_INPUTS)}")
    return np.asarray(state, np.float32)[..., PHI_INPUTS[kind]]


def phi_input_dim(kind: str) -> int:
    """The width of ``phi_input(…, kind)``."""
    sl = PHI_INPUTS[kind]
    return sl.stop - sl.start


def world_action_to_body(action: np.ndarray, yaw: float) -> np.ndarray:
    """(4,) world-frame action (x, y, z velocity and yaw rate, each in [−1, 1]) → (4,) float32 body-frame action at
    heading ``yaw`` (rad): a_body = R(−yaw) a_world for the horizontal part. The horizontal part is first clipped to
    the unit disk, so the reachable world velocities do not depend on the heading; z and yaw rate pass through."""
    a = np.clip(np.nan_to_num(np.asarray(action, np.float64).reshape(4)), -1.0, 1.0)
    a[:2] /= max(1.0, float(np.hypot(a[0], a[1])))
    out = np.concatenate([world_to_body(a[:3], yaw), a[3:]])
    return np.clip(out, -1.0, 1.0).astype(np.float32)


def play_seeds(flights: int, seed: int = 0) -> list[int]:
    """The env seeds of ``flights`` play flights: ``seed · 100000 + f``, with the evaluation seeds left out."""
    out, s = [], seed * 100_000
    while len(out) < flights:
        if s not in GOAL_SEEDS:
            out.append(s)
        s += 1
    return out


def collect_play(flights: int = 100, steps: int = 750, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """States (N, 13) float32 and terminals (N,) bool of ``flights`` play flights of ``steps`` env steps (50 Hz)
    each (see the module docstring); a flight that crashes ends there. The waypoint task's own goal is ignored."""
    from plansight.sim.drone.rl import make_task_env

    env = make_task_env("waypoint", max_steps=steps + 1)
    u = env.unwrapped
    scale_xy, scale_z = (float(v) for v in u.cfg.action_scale[1:3])  # m/s per unit of action, horizontal, vertical
    rng = np.random.default_rng(seed)
    dt = 1.0 / CONTROL_HZ
    states, terminals = [], []
    for env_seed in play_seeds(flights, seed):
        env.reset(seed=env_seed)
        speed = rng.uniform(0.3, 1.0)  # m/s, cruise
        heading = rng.uniform(-math.pi, math.pi)  # rad, the mean heading of the current leg
        altitude = rng.uniform(0.7, 1.5)  # m, target
        resting, left = False, int(rng.uniform(2.0, 6.0) * CONTROL_HZ)  # steps left in the current phase
        noise = np.zeros(3)
        for k in range(steps):
            s = u.state
            if left <= 0:  # next phase: a rest after a leg, a new leg (heading, altitude) after a rest
                resting = not resting
                left = int(rng.uniform(1.0, 2.0) * CONTROL_HZ) if resting else int(rng.uniform(2.0, 6.0) * CONTROL_HZ)
                if not resting:
                    heading, altitude = rng.uniform(-math.pi, math.pi), rng.uniform(0.7, 1.5)
            left -= 1
            heading += 0.6 * math.sqrt(dt) * rng.normal()  # drift: 0.6 rad/√s
            ahead = s.position[:2] + 1.0 * speed * np.array([math.cos(heading), math.sin(heading)])
            if np.any(np.abs(ahead) > 3.2):  # would leave the goal area within a second: turn towards the centre
                heading = math.atan2(-s.position[1], -s.position[0]) + rng.uniform(-0.6, 0.6)
            noise = 0.9 * noise + 0.1 * rng.normal(size=3)
            a = np.zeros(4)
            a[2] = np.clip((altitude - s.position[2]) / scale_z, -1.0, 1.0)  # 1 m/s per m of error, capped
            if not resting:
                a[:2] = speed / scale_xy * np.array([math.cos(heading), math.sin(heading)]) + noise[:2]
                a[2] += 0.3 * noise[2]
            _, _, _, _, info = env.step(world_action_to_body(a, s.yaw))  # the task's success is ignored
            crashed = bool(info["crashed"])
            states.append(u.state.to_vector())
            terminals.append(crashed or k == steps - 1)
            if crashed:
                break
    env.close()
    return np.asarray(states, np.float32), np.asarray(terminals)


class SkillEnv(gym.Wrapper):
    """The waypoint task's dynamics with HILP's intrinsic reward ⟨φ(s′) − φ(s), z⟩ (scaled ×10; −10 on a crash).

    Observation (6 + D,) float32: world position (m), world velocity (m/s), z. Action (4,) in [−1, 1]: world-frame
    x, y, z velocity and yaw rate (``world_action_to_body`` turns it into the task's body-frame action at the
    current heading, so the random start heading does not matter). ``set_skill(z)`` fixes z (zero-shot use);
    otherwise a new z is drawn uniformly on the sphere at every reset. ``kind`` is φ's input (``phi_input``)."""

    def __init__(self, env: gym.Env, rep: HilpRepresentation, kind: str = "position") -> None:
        super().__init__(env)
        if rep.in_dim != phi_input_dim(kind):
            raise ValueError(f"φ takes {rep.in_dim} inputs, {kind!r} gives {phi_input_dim(kind)}")
        self.rep, self.dim, self.kind = rep, rep.cfg.dim, kind
        self.observation_space = gym.spaces.Box(-np.inf, np.inf, (6 + self.dim,), np.float32)
        self.z = np.zeros(self.dim, np.float32)
        self._phi = np.zeros(self.dim, np.float32)

    def _obs(self) -> np.ndarray:
        s = self.env.unwrapped.state
        return np.concatenate([s.position, s.velocity, self.z]).astype(np.float32)

    def phi_of_state(self) -> np.ndarray:
        """φ of the current state, (D,) float32."""
        return self.rep.phi(phi_input(self.env.unwrapped.state.to_vector(), self.kind))

    def reset(self, **kw: Any):
        _, info = self.env.reset(**kw)
        z = self.env.unwrapped.np_random.normal(size=self.dim)
        self.z = (z / np.linalg.norm(z)).astype(np.float32)
        self._phi = self.phi_of_state()
        return self._obs(), info

    def set_skill(self, z: np.ndarray) -> np.ndarray:
        self.z = np.asarray(z, np.float32)
        return self._obs()

    def step(self, action):
        _, _, term, trunc, info = self.env.step(world_action_to_body(action, self.env.unwrapped.state.yaw))
        phi = self.phi_of_state()
        reward = 10.0 * float(np.dot(phi - self._phi, self.z))
        self._phi = phi
        if info.get("crashed"):
            reward -= 10.0
        return self._obs(), reward, bool(info.get("crashed")), trunc or (term and not info.get("crashed")), info


def train(out: Path, flights: int = 100, phi_steps: int = 100_000, policy_steps: int = 60_000, seed: int = 0,
          flight_steps: int = 750, kind: str = "position") -> dict:
    """Play data, φ (``phi_steps`` gradient steps on ``phi_input(…, kind)``) and the skill policy, saved under
    ``out`` (play.npz, phi.pt, policy.zip, summary.json); returns the summary."""
    from stable_baselines3 import PPO
    from stable_baselines3.common.vec_env import DummyVecEnv

    from plansight.agent.learning.rl_algos import DEFAULTS
    from plansight.sim.drone.rl import make_task_env

    out.mkdir(parents=True, exist_ok=True)
    states, terminals = collect_play(flights, flight_steps, seed=seed)
    np.savez_compressed(out / "play.npz", states=states, terminals=terminals)
    x = phi_input(states, kind)
    rep = HilpRepresentation(x.shape[-1], HilpConfig(seed=seed))
    losses = []
    for k in range(phi_steps):
        losses.append(rep.train_step(x, terminals))
        if (k + 1) % 10_000 == 0:
            log.info("φ step %d/%d: loss %.4f (mean of the last 1000)", k + 1, phi_steps, np.mean(losses[-1000:]))
    torch.save({**rep.state_dict(), "phi_input": kind}, out / "phi.pt")
    env_kw = {"max_steps": 200}
    venv = DummyVecEnv([lambda i=i: SkillEnv(make_task_env("waypoint", **env_kw), rep, kind) for i in range(2)])
    venv.seed(seed)
    model = PPO("MlpPolicy", venv, seed=seed, device="cpu", verbose=0, **DEFAULTS["ppo"])
    model.learn(policy_steps)
    model.save(out / "policy.zip")
    speed = np.linalg.norm(states[:, 3:6], axis=1)
    summary = {"play_states": int(len(states)), "play_flights": flights, "play_flight_s": flight_steps / CONTROL_HZ,
               "play_crashes": int(np.sum(_flight_lengths(terminals) < flight_steps)),
               "play_rest_fraction": round(float(np.mean(speed < 0.05)), 3), "phi_input": kind,
               "phi_steps": phi_steps, "phi_loss_last100": round(float(np.mean(losses[-100:])), 4) if losses else None,
               "policy_steps": policy_steps, "seed": seed}
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    return summary


def _flight_lengths(terminals: np.ndarray) -> np.ndarray:
    """(flights,) int: the number of states of each flight."""
    return np.diff(np.concatenate([[-1], np.flatnonzero(terminals)]))


def load_phi(out: Path) -> tuple[HilpRepresentation, str]:
    """φ saved by ``train`` and its input kind (files from before ``phi_input`` was recorded: by width)."""
    sd = torch.load(out / "phi.pt", weights_only=False)
    kind = sd.get("phi_input") or {3: "position", 6: "position_velocity"}[int(sd["in_dim"])]
    return HilpRepresentation.from_state_dict(sd), kind


def zero_shot(out: Path, seeds=GOAL_SEEDS) -> dict:
    """HILP-G zero-shot goal reaching over the waypoint task's start/goal pairs for ``seeds``: z = (φ(g) − φ(s)) /
    ‖·‖ every step, g the goal at rest, the skill policy acting in ``SkillEnv`` (world-frame actions) as in training."""
    from stable_baselines3 import PPO

    from plansight.sim.drone.rl import make_task_env

    rep, kind = load_phi(out)
    model = PPO.load(out / "policy.zip", device="cpu")
    env = SkillEnv(make_task_env("waypoint", max_steps=400), rep, kind)
    return _goal_episodes(env, seeds, lambda e, obs: model.predict(e.set_skill(rep.skill_towards(
        phi_input(e.unwrapped.state.to_vector(), kind), phi_input(_at_rest(e.unwrapped.goal), kind))),
        deterministic=True)[0])


def direct(model_dir: Path, seeds=GOAL_SEEDS) -> dict:
    """The waypoint PPO policy (trained on the goal reward) on the same pairs, same success rule."""
    from stable_baselines3 import PPO

    from plansight.sim.drone.rl import make_task_env

    model = PPO.load(model_dir / "model.zip", device="cpu")
    env = make_task_env("waypoint", max_steps=400)
    return _goal_episodes(env, seeds, lambda e, obs: model.predict(obs, deterministic=True)[0])


def _at_rest(goal: np.ndarray) -> np.ndarray:
    """(13,) float32 DroneState vector hovering at rest, level, at the goal position ``goal`` (3,) (world m)."""
    v = np.zeros(13, np.float32)
    v[0:3], v[12] = goal, 1.0
    return v


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
    ap.add_argument("--out", type=Path, default=Path("runs/hilp"), help="output folder (play.npz, phi.pt, "
                    "policy.zip, summary.json)")
    ap.add_argument("--flights", type=int, default=100, help="play flights (count)")
    ap.add_argument("--flight-seconds", type=float, default=15.0,
                    help="length of each play flight, simulated seconds (50 steps per second)")
    ap.add_argument("--phi-steps", type=int, default=100_000, help="φ gradient steps (batches of 256)")
    ap.add_argument("--phi-input", choices=sorted(PHI_INPUTS), default="position",
                    help="what φ sees: world position (m), or world position (m) and velocity (m/s)")
    ap.add_argument("--policy-steps", type=int, default=60_000, help="PPO env steps (50 per simulated second)")
    ap.add_argument("--seed", type=int, default=0, help="seed of the play data, φ and PPO (play env seeds "
                    "seed·100000 + flight, evaluation seeds excluded)")
    ap.add_argument("--direct-model", type=Path, default=None, help="a waypoint model folder to compare with")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    summary = train(args.out, args.flights, args.phi_steps, args.policy_steps, args.seed,
                    flight_steps=max(1, round(args.flight_seconds * CONTROL_HZ)), kind=args.phi_input)
    summary["zero_shot"] = zero_shot(args.out)
    if args.direct_model is not None:
        summary["direct_goal_conditioned_ppo"] = direct(args.direct_model)
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2))
    log.info("%s", summary)


if __name__ == "__main__":
    main()
