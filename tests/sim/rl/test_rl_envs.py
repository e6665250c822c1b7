"""The drone RL tasks: Gymnasium's env checker, vector envs that replay single envs exactly, a short PPO run that
learns, and a trained model flying a mission through the registry's ``rl`` policy."""

from __future__ import annotations

import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from plansight.sim.drone.rl import TASKS, make_task_env


@pytest.mark.parametrize("task", sorted(TASKS))
def test_every_task_passes_gymnasiums_env_checker(task):
    env = make_task_env(task, max_steps=30)
    check_env(env.unwrapped, skip_render_check=True)
    obs, info = env.reset(seed=3)
    assert env.observation_space.contains(obs) and "room_seed" in info
    done, k = False, 0
    while not done:
        obs, r, term, trunc, info = env.step(env.action_space.sample())
        assert np.isfinite(r) and env.observation_space.contains(obs)
        done, k = term or trunc, k + 1
    assert k <= 30
    env.close()


def test_vector_envs_give_the_rollouts_of_single_envs():
    from plansight.launch.train_rl import make_vec

    venv = make_vec("waypoint", 2, seed=5, env_kwargs={"max_steps": 60})  # two processes, seeds 5 and 6
    singles = [make_task_env("waypoint", max_steps=60) for _ in range(2)]
    first = venv.reset()
    obs = [e.reset(seed=5 + i)[0] for i, e in enumerate(singles)]
    np.testing.assert_allclose(first, np.stack(obs), atol=1e-6)
    rng = np.random.default_rng(0)
    for _ in range(40):
        a = rng.uniform(-1, 1, (2, 4)).astype(np.float32)
        vobs, vrew, vdone, _ = venv.step(a)
        for i, e in enumerate(singles):
            o, r, term, trunc, _ = e.step(a[i])
            if not (term or trunc):
                np.testing.assert_allclose(vobs[i], o, atol=1e-6)
                assert vrew[i] == pytest.approx(r, abs=1e-6) and not vdone[i]
    venv.close()


def _mean_return(model, env, seeds) -> float:
    returns = []
    for s in seeds:
        obs, _ = env.reset(seed=s)
        done, ret = False, 0.0
        while not done:
            action, _ = model.predict(obs, deterministic=True)
            obs, r, term, trunc, _ = env.step(action)
            ret, done = ret + r, term or trunc
        returns.append(ret)
    return float(np.mean(returns))


def test_a_2000_step_ppo_run_improves_its_return_on_a_tiny_task():
    """The waypoint task cut to 1 s episodes without yaw: progress towards the waypoint pays at once."""
    from stable_baselines3 import PPO

    kw = {"max_steps": 50, "action_scale": (1.0, 1.0, 0.5, 0.0)}
    env, evaluation = make_task_env("waypoint", **kw), make_task_env("waypoint", **kw)
    model = PPO("MlpPolicy", env, n_steps=250, batch_size=50, n_epochs=10, learning_rate=3e-3, gamma=0.95,
                policy_kwargs={"net_arch": [32, 32], "log_std_init": -0.5}, seed=0, device="cpu")
    before = _mean_return(model, evaluation, range(100, 110))
    model.learn(2000)
    after = _mean_return(model, evaluation, range(100, 110))
    assert after > before + 0.3, (before, after)


def test_a_trained_policy_flies_a_short_mission(tmp_path):
    from plansight.agent.control.rl_policy import RLPolicyConfig
    from plansight.launch.mission import load_mission
    from plansight.launch.runner import fly
    from plansight.launch.train_rl import train_rl

    out = tmp_path / "hover"
    summary = train_rl("hover", "ppo", 512, out, n_envs=1, eval_every=512, eval_episodes=1, checkpoint_every=256,
                       env_kwargs={"max_steps": 50})
    assert summary["steps"] >= 512 and (out / "model.zip").is_file() and (out / "checkpoints").is_dir()
    resumed = train_rl("hover", "ppo", 1024, out, n_envs=1, resume=True, eval_every=512, eval_episodes=1,
                       env_kwargs={"max_steps": 50})
    assert resumed["steps"] >= 1024
    import json

    steps = [c["steps"] for c in json.loads((out / "learning_curve.json").read_text())]
    assert steps[0] <= 512 and steps[-1] >= 1024, steps  # the curve keeps what was evaluated before --resume
    RLPolicyConfig(model=str(out))  # validates the folder
    m = load_mission("drone_room_stereo", {"duration_s": 2, "policy": {"type": "rl", "model": str(out),
                                                                        "goal_m": [0.0, 0.0, 1.0]},
                                           "record": {"video": False}})
    result = fly(m, tmp_path / "runs")
    assert result.ok, result.status
    with pytest.raises(ValueError, match="no model.zip"):
        RLPolicyConfig(model=str(tmp_path))


def test_a_mission_sees_the_rays_the_crossing_env_cast(tmp_path):
    """The policy's rays from a rendered depth image match the env's mj_ray rays at the same pose: the crossing
    policy flies a mission on the observation it was trained on."""
    import json

    from stable_baselines3 import PPO

    from plansight.agent.contracts import DepthEstimate
    from plansight.agent.control.rl_policy import RLPolicy, RLPolicyConfig
    from plansight.sim.drone.config_drone import DroneSimConfig
    from plansight.sim.drone.drone_sim import DroneSim
    from plansight.sim.drone.model import LEFT_CAMERA

    env = make_task_env("crossing", room_seed=1003, levels=("default",)).unwrapped
    obs, _ = env.reset(seed=0)
    folder = tmp_path / "crossing"
    folder.mkdir()
    PPO("MlpPolicy", env, n_steps=64, batch_size=32, device="cpu").save(folder / "model.zip")
    (folder / "config.json").write_text(json.dumps({"task": "crossing", "algo": "ppo", "n_rays": env.cfg.n_rays,
                                                    "max_range_m": env.cfg.max_range_m,
                                                    "action_scale": list(env.cfg.action_scale)}))
    sim = DroneSim(DroneSimConfig(render=True, ground_truth_depth=True))
    sim.reset(1003)
    assert sim.takeoff()
    seen = sim.observe()
    np.testing.assert_allclose(seen.state, env.state.to_vector(), atol=1e-9)  # the same pose in both
    policy = RLPolicy(RLPolicyConfig(model=str(folder)), sim.cameras[LEFT_CAMERA])
    depth = seen.depth[LEFT_CAMERA]
    features = policy.observation(seen, DepthEstimate(LEFT_CAMERA, depth, np.isfinite(depth) & (depth > 0)))
    sim.close()
    rays_env, rays_mission = obs[: env.cfg.n_rays] * 5.0, features[: env.cfg.n_rays] * 5.0
    assert np.median(np.abs(rays_env - rays_mission)) < 0.25, (rays_env.round(2), rays_mission.round(2))
    np.testing.assert_allclose(obs[env.cfg.n_rays:], features[env.cfg.n_rays:], atol=1e-5)


def test_the_crossing_env_draws_its_room_level_per_episode_and_charges_for_closeness():
    env = make_task_env("crossing", max_steps=20).unwrapped
    seen = {}
    for s in range(8):
        level = env.reset(seed=s)[1]["level"]
        seen[level] = len(env.sim.layout.obstacles)
    assert seen == {"default": 5, "dense": 12}  # 4 poles + 1 box; 10 poles + 2 boxes
    env._rays = np.full(env.cfg.n_rays, 0.3)  # as if an obstacle were 0.3 m ahead: half the clearance gone
    *_, info = env.step(np.zeros(4, np.float32))
    assert info["clearance_cost"] == pytest.approx(env.sim.dt * 0.25 * env.cfg.clearance_cost, rel=0.05)
    env.reset(seed=1)
    z0 = env.state.position[2]
    for _ in range(60):  # a zero action cruises at the middle of 0.2-1 m/s, level: the drone never just hovers
        obs, *_ = env.step(np.zeros(4, np.float32))
    assert obs[env.cfg.n_rays] == pytest.approx(0.6, abs=0.1) and abs(env.state.position[2] - z0) < 0.1
    env.close()


def test_crossing_legs_turn_back_at_the_target_line():
    from plansight.agent.shared.features import crossing_side

    assert crossing_side(1.9, 1, 1.8) == -1 and crossing_side(1.0, 1, 1.8) == 1 and crossing_side(-1.9, -1, 1.8) == 1
    env = make_task_env("crossing", levels=("easy",), max_steps=200).unwrapped
    obs, _ = env.reset(seed=2)
    n = env.cfg.n_rays
    assert obs[n + 4] == pytest.approx(1.0, abs=0.05)  # facing +x at the start: the first leg is straight ahead
    env.place(np.array([1.6, 0.0, 1.0]), 0.0)
    legs, total = 0, 0.0
    for _ in range(100):
        obs, r, term, trunc, info = env.step(np.array([1.0, 0.0, 0.0, 0.0], np.float32))
        legs, total = legs + info["legs"], total + info["progress_m"]
        if legs or term:
            break
    assert legs == 1 and not info["crashed"] and total > 0.1
    assert obs[n + 4] == pytest.approx(-1.0, abs=0.05)  # the next leg is behind
    env.close()
