"""``plansight/MetaWorldState-v0``: Gymnasium's checker, reproducible resets, SB3 can step it."""

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from plansight.sim.metaworld.rl_env import ENV_ID, MetaWorldStateEnv


@pytest.mark.filterwarnings("ignore:.*infinity.*")
def test_env_checker_and_reproducible_resets():
    env = MetaWorldStateEnv("handle-press", max_steps=5)
    check_env(env, skip_render_check=True)
    a, info_a = env.reset(seed=3)
    b, info_b = env.reset(seed=3)
    assert np.array_equal(a, b) and info_a == info_b and info_a["variation_seed"] >= 10**6
    c, _ = env.reset(seed=4)
    assert not np.array_equal(a, c)  # another variation: the handle moved
    for _ in range(5):
        obs, r, term, trunc, info = env.step(np.array([0.0, 0.0, -1.0, 0.0], np.float32))
        assert obs.shape == (39,) and np.isfinite(r) and not term and isinstance(info["success"], bool)
    assert trunc  # the 5-step budget
    env.close()


def test_registered_and_refuses_unknown_tasks():
    env = gym.make(ENV_ID, task="button-press-topdown", max_steps=3)
    assert env.action_space.shape == (4,)
    env.close()
    with pytest.raises(ValueError, match="unknown task 'reach'"):
        MetaWorldStateEnv("reach")
