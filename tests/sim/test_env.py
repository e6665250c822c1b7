import gymnasium as gym
import numpy as np
from gymnasium.utils.env_checker import check_env

import plansight.sim.drone  # noqa: F401  (registers plansight/DroneRoom-v0)
from plansight.sim.drone.config_drone import DroneSimConfig, StereoRigConfig


def test_registered_env_passes_gymnasium_checker():
    env = gym.make("plansight/DroneRoom-v0", render_mode="rgb_array",
                   config=DroneSimConfig(camera=StereoRigConfig(width=64, height=48)))
    try:
        check_env(env.unwrapped)
    finally:
        env.close()


def test_env_rewards_forward_flight_and_terminates_on_crash():
    env = gym.make("plansight/DroneRoom-v0", config=DroneSimConfig(camera=StereoRigConfig(width=32, height=24)))
    obs, info = env.reset(seed=1)
    assert obs["left"].shape == (24, 32, 3) and obs["state"].shape == (13,)
    rewards, terminated = [], False
    for _ in range(800):
        obs, r, terminated, truncated, info = env.step(np.array([1.0, 0, 0, 0], np.float32))
        rewards.append(r)
        if terminated:
            break
    env.close()
    assert terminated and info["collisions"] >= 1
    assert sum(rewards[:-1]) > 0.5  # flew forward before hitting something
    assert rewards[-1] < 0  # the crash step pays the penalty


def test_forgetting_env_close_prints_no_egl_traceback_at_exit(tmp_path):
    """The README's snippet without ``env.close()``: renderers are closed at exit before MuJoCo ends EGL."""
    import subprocess
    import sys

    code = ("import gymnasium as gym\nimport plansight.sim.drone\n"
            "env = gym.make('plansight/DroneRoom-v0')\nobs, info = env.reset(seed=0)\nprint(sorted(obs))\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert r.returncode == 0 and r.stdout.strip() == "['left', 'right', 'state']"
    assert "Traceback" not in r.stderr and "EGLError" not in r.stderr, r.stderr
