"""launch/train_hilp.py (HILP on the drone): φ's input, world-frame skill actions, play flights."""

from __future__ import annotations

import math

import numpy as np

from plansight.agent.learning.hilp import HilpConfig, HilpRepresentation
from plansight.launch import train_hilp
from plansight.launch.train_hilp import GOAL_SEEDS, SkillEnv, phi_input, play_seeds, world_action_to_body


def test_phi_default_input_is_position_only_and_ignores_velocity():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(5, 13)).astype(np.float32)
    b = a.copy()
    b[:, 3:6] += rng.normal(size=(5, 3))  # only the world velocity differs
    np.testing.assert_array_equal(phi_input(a), a[:, 0:3])
    rep = HilpRepresentation(phi_input(a).shape[-1], HilpConfig(dim=8, hidden=16))
    np.testing.assert_array_equal(rep.phi(phi_input(a)), rep.phi(phi_input(b)))
    assert phi_input(a, "position_velocity").shape == (5, 6)  # the old input, on request


def test_world_action_is_rotated_into_the_body_frame():
    # facing +y (yaw 90°), a world +x command is a command to fly right: body (forward 0, left −1)
    np.testing.assert_allclose(world_action_to_body(np.array([1.0, 0, 0.5, 0]), math.pi / 2), [0, -1, 0.5, 0],
                               atol=1e-6)
    np.testing.assert_allclose(world_action_to_body(np.array([0, 1.0, 0, 0]), 0.0), [0, 1, 0, 0])
    diag = world_action_to_body(np.array([1.0, 1.0, 0, 0]), 0.3)  # clipped to the unit disk, any heading
    assert abs(np.hypot(diag[0], diag[1]) - 1.0) < 1e-6


def test_skill_env_acts_in_the_world_frame_whatever_the_heading():
    from plansight.sim.drone.rl import make_task_env

    rep = HilpRepresentation(3, HilpConfig(dim=4, hidden=16))
    env = SkillEnv(make_task_env("waypoint", max_steps=200), rep)
    headings = []
    for seed in (1, 2):
        obs, _ = env.reset(seed=seed)
        assert obs.shape == (6 + 4,)
        u = env.unwrapped
        headings.append(u.state.yaw)
        start = u.state.position.copy()
        for _ in range(50):  # 1 s of a world +x command
            env.step(np.array([1.0, 0, 0, 0], np.float32))
        moved = u.state.position - start
        assert moved[0] > 0.4 and abs(moved[1]) < 0.1 * moved[0], (u.state.yaw, moved)
    env.close()
    assert abs(math.remainder(headings[0] - headings[1], 2 * math.pi)) > 0.5  # two different headings flown


def test_play_flights_are_long_and_their_seeds_avoid_the_evaluation_seeds():
    seeds = play_seeds(3010)
    assert len(seeds) == 3010 and not set(seeds) & set(GOAL_SEEDS) and len(set(seeds)) == 3010
    states, terminals = train_hilp.collect_play(2, 150, seed=0)
    assert states.shape[1] == 13 and states.dtype == np.float32 and terminals.dtype == bool
    assert terminals.sum() == 2 and terminals[-1] and len(states) == 300  # no crash in 3 s of an empty room
    assert np.all((states[:, 2] > 0.5) & (states[:, 2] < 1.7))  # altitudes around the goals' 0.7–1.5 m
