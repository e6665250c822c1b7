"""HILP's φ: trained on a synthetic chain of states, distances in φ-space order temporal distances."""

from __future__ import annotations

import numpy as np

from plansight.agent.learning.hilp import HilpConfig, HilpRepresentation


def test_phi_orders_the_states_of_a_chain_by_temporal_distance():
    rng = np.random.default_rng(0)
    n, episodes = 12, 60
    states, terminals = [], []
    for _ in range(episodes):  # walks that only go forward along a chain embedded in 2-D, with noise
        k = int(rng.integers(0, n // 2))
        while k < n:
            states.append([np.cos(k / 5.0), np.sin(k / 5.0)] + rng.normal(0, 0.01, 2))
            terminals.append(False)
            k += 1
        terminals[-1] = True
    states = np.asarray(states, np.float32)
    rep = HilpRepresentation(2, HilpConfig(dim=8, hidden=64, batch_size=128, lr=1e-3, gamma=0.95, seed=0))
    losses = [rep.train_step(states, np.asarray(terminals)) for _ in range(1500)]
    assert np.all(np.isfinite(losses))  # a TD loss need not fall: its targets grow as the values do
    chain = np.asarray([[np.cos(k / 5.0), np.sin(k / 5.0)] for k in range(n)], np.float32)
    d = np.linalg.norm(rep.phi(chain) - rep.phi(chain[:1]), axis=1)
    ranks = np.argsort(np.argsort(d))
    spearman = np.corrcoef(ranks, np.arange(n))[0, 1]
    assert spearman > 0.95, d.round(2)
    z = rep.skill_towards(chain[0], chain[5])
    assert abs(np.linalg.norm(z) - 1.0) < 1e-5
    again = HilpRepresentation.from_state_dict(rep.state_dict())
    np.testing.assert_allclose(again.phi(chain), rep.phi(chain), atol=1e-6)


def test_trajectory_goals_are_geometric_and_stay_in_their_trajectory():
    n, length = 20_000, 1000
    states = np.arange(n, dtype=np.float32)[:, None]
    terminals = np.zeros(n, bool)
    terminals[length - 1::length] = True
    rep = HilpRepresentation(1, HilpConfig(batch_size=4096, gamma=0.9, p_trajgoal=1.0, p_randomgoal=0.0))
    b = rep.sample(states, terminals)
    s, s_next, g = (b[k].numpy()[:, 0].astype(int) for k in ("s", "s_next", "g"))
    assert np.all(s_next == s + 1) and np.all(s // length == s_next // length)  # s′ follows s in its trajectory
    offset = g - s
    assert np.all(offset >= 0) and np.all(g // length == s // length)  # a later state of the same trajectory
    far = s % length < length - 100  # away from the end, the offset is geometric: mean 1 / (1 − γ) = 10
    assert abs(offset[far].mean() - 10.0) < 1.0 and offset[far].min() >= 1
    near = s % length >= length - 3  # capped at the trajectory's last state
    assert np.all(g[near] <= (s[near] // length + 1) * length - 1)
    uniform = HilpRepresentation(1, HilpConfig(batch_size=4096, p_trajgoal=1.0, p_randomgoal=0.0, geom_sample=False))
    b = uniform.sample(states, terminals)
    assert float((b["g"] - b["s"]).mean()) > 100  # uniform over the rest of 1000-step trajectories: ~333


def test_goal_probabilities_cannot_exceed_one():
    import pydantic
    import pytest

    with pytest.raises(pydantic.ValidationError):
        HilpConfig(p_trajgoal=0.7, p_randomgoal=0.5)
    assert HilpConfig(p_trajgoal=0.5, p_randomgoal=0.3).p_trajgoal == 0.5  # the state itself with 0.2
