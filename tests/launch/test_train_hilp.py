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


def test_play_flights_are_recorded_as_flight_logs_that_read_back(tmp_path):
    from plansight.agent.learning.flight_log import FORMAT, read_flight_logs, read_flight_states
    from plansight.launch.hilp_play import collect_play, record_play

    paths = record_play(tmp_path, flights=2, steps=100, seed=0, every=5, same_room=False)
    assert [p.name for p in paths] == ["play_0000.h5", "play_0001.h5"]
    states, terminals = read_flight_states(paths)
    assert states.shape == (40, 13) and list(np.flatnonzero(terminals)) == [19, 39]
    flown, _ = collect_play(2, 100, seed=0, same_room=False)  # the same flights, every step
    np.testing.assert_allclose(states[:20], flown[:100:5], atol=1e-6)
    frames = read_flight_logs(paths)
    assert frames["left"].shape == (40, 96, 128, 3) and frames["stereo_valid"].mean() > 0.5
    import h5py

    with h5py.File(paths[0]) as f:
        assert f.attrs["format"] == FORMAT
    # two rooms of their own: the same pose looks different (seeded textures)
    assert np.abs(frames["left"][0].astype(int) - frames["left"][20].astype(int)).mean() > 5


def test_a_broken_flight_log_is_named_in_one_line(tmp_path):
    import pytest

    from plansight.agent.learning.flight_log import FlightLogError, read_flight_states

    bad = tmp_path / "bad.h5"
    bad.write_bytes(b"not hdf5")
    with pytest.raises(FlightLogError, match="bad.h5: unreadable"):
        read_flight_states([bad])
    with pytest.raises(FlightLogError, match="not found"):
        read_flight_states([tmp_path / "missing.h5"])


def test_the_image_goal_encoder_learns_a_target_an_image_shows():
    """ψ regresses a 2-D target painted into synthetic images (a bright square's position) and scores it on held-out
    frames: far better than the targets' mean."""
    from plansight.agent.learning.hilp_image import ImageGoalConfig, ImageGoalEncoder

    rng = np.random.default_rng(0)
    xy = rng.uniform(0, 1, (400, 2)).astype(np.float32)
    images = np.full((400, 48, 64, 3), 40, np.uint8)
    for im, (x, y) in zip(images, xy, strict=True):
        c, r = int(x * 52), int(y * 36)
        im[r:r + 12, c:c + 12] = 230
    enc = ImageGoalEncoder(2, ImageGoalConfig(channels=(16, 32, 32, 32)))
    fit = enc.fit(images, xy, steps=300, held_out=0.2)
    assert fit["held_out_relative_rmse"] < 0.5, fit
    assert enc.embed(images[0]).shape == (1, 2)


def test_skills_are_drawn_towards_play_states_and_leaving_the_data_ends_the_episode():
    from plansight.sim.drone.rl import make_task_env

    rep = HilpRepresentation(3, HilpConfig(dim=4, hidden=16, seed=0))
    bank = rep.phi(np.array([[2.0, 0.0, 1.0], [-2.0, 1.0, 1.2]], np.float32))
    support = (np.array([-3.0, -3.0, 0.6]), np.array([3.0, 3.0, 1.6]))
    env = SkillEnv(make_task_env("waypoint", max_steps=300), rep, goal_bank=bank, support=support)
    obs, _ = env.reset(seed=4)
    start = env.phi_of_state()
    towards = [(b - start) / np.linalg.norm(b - start) for b in bank]
    assert any(np.allclose(env.z, t, atol=1e-5) for t in towards)
    for _ in range(300):  # full climb: out of the play data's altitudes within a second or so
        obs, r, term, trunc, info = env.step(np.array([0.0, 0.0, 1.0, 0.0], np.float32))
        if term or trunc:
            break
    assert term and info["left_support"] and r < -5 and env.unwrapped.state.position[2] > 1.6
    env.close()
