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
