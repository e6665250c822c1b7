"""HILP on the drone: φ from recorded play flights, a latent-conditioned PPO policy, zero-shot goal reaching with
goals given as a state or as a camera image.

    python -m plansight.launch.train_hilp --out runs/hilp      # play logs, φ, ψ, policy, evaluation
    python -m plansight.launch.train_hilp --out runs/hilp --direct-model launch/models/rl_waypoint_ppo  # + baseline

1. **Play data** (``launch/hilp_play.py``): ``--flights`` scripted task-free flights of ``--flight-seconds`` (15 s,
   750 steps at 50 Hz) in the waypoint task's empty 8 × 8 m room, each in a room of its own (its own seeded
   textures), cruising legs along a drifting heading at 0.7–1.5 m with stops. Recorded as flight logs
   (``OUT/play/play_<f>.h5``, format ``plansight-flight-log-v1``: left RGB, SGBM depth, ground-truth depth, state)
   at 10 Hz. Flight ``f`` uses the env seed ``seed · 100000 + f``, skipping the evaluation seeds (``GOAL_SEEDS``).
2. **φ** (``agent/learning/hilp.py``): ‖φ(s) − φ(g)‖ ≈ temporal distance, learnt offline from the logs' states
   (100,000 steps by default, the spec's 100–200k; goals a geometric number of log frames ahead, γ = 0.99⁵ per
   10 Hz frame, the 50 Hz task's 0.99 per step). Its input (``phi_input``) is the world position (m) by default.
3. **ψ** (``agent/learning/hilp_image.py``): a small CNN regressing φ(state) from the logged left image of that
   state, so that a goal picture enters φ's space; scored on the last 10 % of the logs' frames (held-out rooms).
4. **Policy**: PPO (stable-baselines3; SB3 has no offline learner, so the policy learns online in the simulator,
   on the intrinsic reward only) in ``SkillEnv``: observation [world position m, world velocity m/s, z], action
   world-frame (x, y, z velocity and yaw rate, rotated into the task's body frame at the drone's heading, the same
   in training and in the zero-shot evaluation), reward ⟨φ(s′) − φ(s), z⟩ with z new per episode, drawn towards
   a random play state's φ from the start (``--skills data``, the default; ``SKILL_SAMPLING`` says why) or
   uniformly on the unit sphere (``--skills sphere``).
5. **Zero-shot goals**, recomputed every step: z = (φ(g) − φ(s)) / ‖·‖ for a state goal (the goal position at
   rest), z = (ψ(I_g) − φ(s)) / ‖·‖ for an image goal (I_g: the left camera's view from the goal position at a
   random heading, rendered in the episode's room). Success: within 0.5 m of the goal within 8 s, on the waypoint
   task's 50 start/goal pairs of seeds 3000–3049, each in an unseen room (textures no play flight saw). Compared,
   on the same pairs, with the waypoint PPO policy trained directly on the goal reward.
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

from plansight.agent.learning.flight_log import read_flight_logs, read_flight_states
from plansight.agent.learning.hilp import HilpConfig, HilpRepresentation
from plansight.agent.learning.hilp_image import ImageGoalEncoder
from plansight.agent.shared.stats import wilson
from plansight.launch.hilp_play import (  # noqa: F401  (play_seeds, collect_play: this module's API too)
    CONTROL_HZ,
    GOAL_SEEDS,
    PlayRenderer,
    collect_play,
    play_seeds,
    record_play,
    world_action_to_body,
)

log = logging.getLogger(__name__)

SUCCESS_RADIUS_M = 0.5

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


class SkillEnv(gym.Wrapper):
    """The waypoint task's dynamics with HILP's intrinsic reward ⟨φ(s′) − φ(s), z⟩ (scaled ×10; −10 on a crash).

    Observation (6 + D,) float32: world position (m), world velocity (m/s), z. Action (4,) in [−1, 1]: world-frame
    x, y, z velocity and yaw rate (``world_action_to_body`` turns it into the task's body-frame action at the
    current heading, so the random start heading does not matter). ``set_skill(z)`` fixes z (zero-shot use);
    otherwise a new z is drawn at every reset: uniformly on the sphere, or, given ``goal_bank`` (M, D) (φ of play
    states), towards a random one of them from the start, z = (φ(g) − φ(s₀)) / ‖·‖, the distribution zero-shot goals
    ask for. ``kind`` is φ's input (``phi_input``). ``support`` ((3,), (3,)): the play data's box of world positions
    (m); φ is only learnt inside it, so leaving it ends the episode like a crash (−10): otherwise PPO climbs out of
    the data, where φ's extrapolation pays for any direction (measured: the policy held full climb)."""

    def __init__(self, env: gym.Env, rep: HilpRepresentation, kind: str = "position",
                 goal_bank: np.ndarray | None = None,
                 support: tuple[np.ndarray, np.ndarray] | None = None) -> None:
        super().__init__(env)
        if rep.in_dim != phi_input_dim(kind):
            raise ValueError(f"φ takes {rep.in_dim} inputs, {kind!r} gives {phi_input_dim(kind)}")
        self.rep, self.dim, self.kind = rep, rep.cfg.dim, kind
        self.observation_space = gym.spaces.Box(-np.inf, np.inf, (6 + self.dim,), np.float32)
        self.z = np.zeros(self.dim, np.float32)
        self._phi = np.zeros(self.dim, np.float32)
        self.goal_bank = None if goal_bank is None else np.asarray(goal_bank, np.float32)
        self.support = support

    def _obs(self) -> np.ndarray:
        s = self.env.unwrapped.state
        return np.concatenate([s.position, s.velocity, self.z]).astype(np.float32)

    def phi_of_state(self) -> np.ndarray:
        """φ of the current state, (D,) float32."""
        return self.rep.phi(phi_input(self.env.unwrapped.state.to_vector(), self.kind))

    def reset(self, **kw: Any):
        _, info = self.env.reset(**kw)
        rng = self.env.unwrapped.np_random
        self._phi = self.phi_of_state()
        if self.goal_bank is not None:
            z = self.goal_bank[int(rng.integers(len(self.goal_bank)))] - self._phi
        else:
            z = rng.normal(size=self.dim)
        self.z = (z / max(float(np.linalg.norm(z)), 1e-6)).astype(np.float32)
        return self._obs(), info

    def set_skill(self, z: np.ndarray) -> np.ndarray:
        self.z = np.asarray(z, np.float32)
        return self._obs()

    def step(self, action):
        _, _, term, trunc, info = self.env.step(world_action_to_body(action, self.env.unwrapped.state.yaw))
        phi = self.phi_of_state()
        reward = 10.0 * float(np.dot(phi - self._phi, self.z))
        self._phi = phi
        crashed = bool(info.get("crashed"))
        if self.support is not None:
            p = self.env.unwrapped.state.position
            outside = bool(np.any(p < self.support[0]) or np.any(p > self.support[1]))
            info["left_support"] = outside
            crashed = crashed or outside
        if crashed:
            reward -= 10.0
        return self._obs(), reward, crashed, trunc or (term and not crashed), info


SKILL_SAMPLING = ("data", "sphere")
"""How the skill policy's training z is drawn: towards a random play state's φ from the start (``data``, the
default: the skills zero-shot goals ask for), or uniformly on the sphere (HILP's default). Measured on runs/hilp_v3
(seeds 3000-3049): with sphere skills the policy's velocity pointed away from the goal (median cosine −0.76) while
following φ's own gradient reached 49/50 goals: random 32-D directions are nearly orthogonal to the 3-D manifold of
φ(position), so the policy never learnt the skills goals need."""


def train(out: Path, flights: int = 100, phi_steps: int = 100_000, policy_steps: int = 60_000, seed: int = 0,
          flight_steps: int = 750, kind: str = "position", log_every: int = 5, image_steps: int = 4000,
          skills: str = "data", resume: bool = False) -> dict:
    """Play logs, φ (``phi_steps`` gradient steps on ``phi_input(…, kind)``), ψ (``image_steps``) and the skill
    policy, saved under ``out`` (play/, phi.pt, image_goal.pt, policy.zip, summary.json); returns the summary.
    ``resume``: keep the stages already in ``out`` (all play logs, phi.pt, image_goal.pt, policy.zip) and redo
    only what is missing."""
    from stable_baselines3 import PPO
    from stable_baselines3.common.vec_env import DummyVecEnv

    from plansight.agent.learning.rl_algos import DEFAULTS
    from plansight.sim.drone.rl import make_task_env

    if skills not in SKILL_SAMPLING:
        raise ValueError(f"skills must be one of {', '.join(SKILL_SAMPLING)}, not {skills!r}")
    out.mkdir(parents=True, exist_ok=True)
    prev = json.loads((out / "summary.json").read_text()) if resume and (out / "summary.json").is_file() else {}
    logs = sorted((out / "play").glob("play_*.h5")) if resume else []
    if len(logs) != flights:
        logs = record_play(out / "play", flights, flight_steps, seed=seed, every=log_every, same_room=False)
    states, terminals = read_flight_states(logs)
    x = phi_input(states, kind)
    if resume and (out / "phi.pt").is_file():
        rep, kind = load_phi(out)
        phi_loss = prev.get("phi_loss_last100")
    else:
        rep = HilpRepresentation(x.shape[-1], HilpConfig(seed=seed, gamma=round(0.99**log_every, 4)))
        losses = []
        for k in range(phi_steps):
            losses.append(rep.train_step(x, terminals))
            if (k + 1) % 10_000 == 0:
                log.info("φ step %d/%d: loss %.4f (mean of the last 1000)", k + 1, phi_steps, np.mean(losses[-1000:]))
        torch.save({**rep.state_dict(), "phi_input": kind}, out / "phi.pt")
        phi_loss = round(float(np.mean(losses[-100:])), 4) if losses else None
    if resume and (out / "image_goal.pt").is_file():
        image_fit = prev.get("image_goal_fit")
    else:
        encoder = ImageGoalEncoder(rep.cfg.dim)
        image_fit = encoder.fit(read_flight_logs(logs)["left"], rep.phi(x), image_steps)
        torch.save(encoder.state_dict_full(), out / "image_goal.pt")
    if not (resume and (out / "policy.zip").is_file()):
        bank = rep.phi(x) if skills == "data" else None
        support = (states[:, :3].min(0) - 0.1, states[:, :3].max(0) + 0.1)
        env_kw = {"max_steps": 200}
        venv = DummyVecEnv([lambda i=i: SkillEnv(make_task_env("waypoint", **env_kw), rep, kind, bank, support)
                            for i in range(2)])
        venv.seed(seed)
        model = PPO("MlpPolicy", venv, seed=seed, device="cpu", verbose=0, **DEFAULTS["ppo"])
        model.learn(policy_steps)
        model.save(out / "policy.zip")
    speed = np.linalg.norm(states[:, 3:6], axis=1)
    summary = {"play_states": int(len(states)), "play_flights": flights, "play_flight_s": flight_steps / CONTROL_HZ,
               "play_log_hz": CONTROL_HZ / log_every, "play_logs": f"{out / 'play'}/play_*.h5",
               "play_crashes": int(np.sum(_flight_lengths(terminals) < len(range(0, flight_steps, log_every)))),
               "play_rest_fraction": round(float(np.mean(speed < 0.05)), 3), "phi_input": kind,
               "phi_steps": prev.get("phi_steps", phi_steps) if resume else phi_steps, "phi_loss_last100": phi_loss,
               "image_goal_steps": prev.get("image_goal_steps", image_steps) if resume else image_steps,
               "image_goal_fit": image_fit, "policy_steps": policy_steps, "skills": skills, "seed": seed}
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


def goal_image(renderer: PlayRenderer, room_seed: int, goal: np.ndarray, heading: float) -> np.ndarray:
    """(H, W, 3) uint8: the left camera's view from ``goal`` (world m), level, facing ``heading`` (rad)."""
    state = _at_rest(goal)
    state[8] = heading
    obs = renderer.view(room_seed, state)
    return obs.images[renderer.camera.name]


def zero_shot(out: Path, seeds=GOAL_SEEDS, goal: str = "state") -> dict:
    """HILP zero-shot goal reaching over the waypoint task's start/goal pairs for ``seeds``, each in its own room
    (module docstring, step 5); ``goal``: ``state`` (φ of the goal at rest) or ``image`` (ψ of the goal view, its
    heading drawn from the pair's seed)."""
    from stable_baselines3 import PPO

    from plansight.sim.drone.rl import make_task_env

    if goal not in ("state", "image"):
        raise ValueError(f"goal must be 'state' or 'image', not {goal!r}")
    rep, kind = load_phi(out)
    model = PPO.load(out / "policy.zip", device="cpu")
    env = SkillEnv(make_task_env("waypoint", max_steps=400, same_room=False), rep, kind)
    renderer = PlayRenderer() if goal == "image" else None
    encoder = (ImageGoalEncoder.from_state_dict_full(torch.load(out / "image_goal.pt", weights_only=False))
               if goal == "image" else None)
    target: dict[str, np.ndarray] = {}

    def on_reset(e: gym.Env, seed: int, info: dict) -> None:
        g = e.unwrapped.goal
        if encoder is not None:
            heading = float(np.random.default_rng(seed).uniform(-math.pi, math.pi))
            target["phi"] = encoder.embed(goal_image(renderer, int(info["room_seed"]), g, heading))[0]
        else:
            target["phi"] = rep.phi(phi_input(_at_rest(g), kind))

    def act(e: gym.Env, obs: np.ndarray) -> np.ndarray:
        d = target["phi"] - e.phi_of_state()
        z = (d / max(float(np.linalg.norm(d)), 1e-6)).astype(np.float32)
        return model.predict(e.set_skill(z), deterministic=True)[0]

    try:
        return {**_goal_episodes(env, seeds, act, on_reset), "goal": goal}
    finally:
        if renderer is not None:
            renderer.close()


def direct(model_dir: Path, seeds=GOAL_SEEDS) -> dict:
    """The waypoint PPO policy (trained on the goal reward) on the same pairs and rooms, same success rule."""
    from stable_baselines3 import PPO

    from plansight.sim.drone.rl import make_task_env

    model = PPO.load(model_dir / "model.zip", device="cpu")
    env = make_task_env("waypoint", max_steps=400, same_room=False)
    return _goal_episodes(env, seeds, lambda e, obs: model.predict(obs, deterministic=True)[0])


def _at_rest(goal: np.ndarray) -> np.ndarray:
    """(13,) float32 DroneState vector hovering at rest, level, at the goal position ``goal`` (3,) (world m)."""
    v = np.zeros(13, np.float32)
    v[0:3], v[12] = goal, 1.0
    return v


def _goal_episodes(env: gym.Env, seeds, act, on_reset=None) -> dict:
    reached, final = 0, []
    for s in seeds:
        obs, info = env.reset(seed=s)
        if on_reset is not None:
            on_reset(env, s, info)
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
    ap.add_argument("--out", type=Path, default=Path("runs/hilp"), help="output folder (play/, phi.pt, image_goal.pt, "
                    "policy.zip, summary.json)")
    ap.add_argument("--flights", type=int, default=100, help="play flights (count)")
    ap.add_argument("--flight-seconds", type=float, default=15.0,
                    help="length of each play flight, simulated seconds (50 steps per second)")
    ap.add_argument("--phi-steps", type=int, default=100_000, help="φ gradient steps (batches of 256)")
    ap.add_argument("--phi-input", choices=sorted(PHI_INPUTS), default="position",
                    help="what φ sees: world position (m), or world position (m) and velocity (m/s)")
    ap.add_argument("--image-steps", type=int, default=4000,
                    help="ψ (image goal encoder) gradient steps (batches of 64)")
    ap.add_argument("--policy-steps", type=int, default=60_000, help="PPO env steps (50 per simulated second)")
    ap.add_argument("--seed", type=int, default=0, help="seed of the play data, φ and PPO (play env seeds "
                    "seed·100000 + flight, evaluation seeds excluded)")
    ap.add_argument("--skills", choices=SKILL_SAMPLING, default="data",
                    help="the policy's training skills: towards play states (data) or uniform on the sphere")
    ap.add_argument("--resume", action="store_true", help="keep the stages already in --out, redo what is missing")
    ap.add_argument("--direct-model", type=Path, default=None, help="a waypoint model folder to compare with")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    summary = train(args.out, args.flights, args.phi_steps, args.policy_steps, args.seed,
                    flight_steps=max(1, round(args.flight_seconds * CONTROL_HZ)), kind=args.phi_input,
                    image_steps=args.image_steps, skills=args.skills, resume=args.resume)
    summary["zero_shot"] = zero_shot(args.out)
    summary["zero_shot_image"] = zero_shot(args.out, goal="image")
    if args.direct_model is not None:
        summary["direct_goal_conditioned_ppo"] = direct(args.direct_model)
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2))
    log.info("%s", summary)


if __name__ == "__main__":
    main()
