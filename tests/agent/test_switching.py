"""Cue switching for each strategy, with override counting."""

import pytest

from plansight.agent.perception.switching import CueSwitch, SwitchConfig

FAR, NEAR = 4.0, 0.6


def test_stereo_strategy_always_flies_stereo():
    sw = CueSwitch(SwitchConfig(strategy="stereo"))
    for i in range(100):
        d = sw.decide(i * 0.02, NEAR, FAR, 0.01, 10_000)
        assert d.cue == "stereo" and not d.override
    assert sw.overrides == 0


def test_mono_strategy_never_overrides():
    sw = CueSwitch(SwitchConfig(strategy="mono"))
    for i in range(100):
        assert sw.decide(i * 0.02, NEAR, FAR, 0.5, 0).cue == "mono"
    assert sw.overrides == 0


def test_persistent_overrides_when_mono_misses_and_counts_each_once():
    sw = CueSwitch(SwitchConfig(strategy="persistent", imminent_m=1.0, missed_margin_m=0.4, override_hold_s=0.5))
    t = 0.0
    assert sw.decide(t, FAR, FAR, 0.1, 0).cue == "mono"
    # stereo sees a wall at 0.6 m, mono thinks 4 m: override, counted once for the whole episode
    cues = []
    for _ in range(20):
        t += 0.02
        cues.append(sw.decide(t, NEAR, FAR, 0.1, 0))
    assert all(d.cue == "stereo" and d.override for d in cues)
    assert [d.override_started for d in cues].count(True) == 1 and sw.overrides == 1
    # hold: stereo keeps control for override_hold_s after the danger is gone
    t += 0.02
    assert sw.decide(t, FAR, FAR, 0.1, 0).cue == "stereo"
    t += 0.6
    assert sw.decide(t, FAR, FAR, 0.1, 0).cue == "mono"
    # a second, separate episode is a second override
    t += 0.02
    assert sw.decide(t, NEAR, FAR, 0.1, 0).override_started
    assert sw.overrides == 2


def test_persistent_does_not_override_when_mono_also_sees_it():
    sw = CueSwitch(SwitchConfig(strategy="persistent"))
    for i in range(50):
        d = sw.decide(i * 0.02, NEAR, NEAR + 0.1, 0.1, 0)
        assert d.cue == "mono" and not d.override
    assert sw.overrides == 0


def test_auto_switches_with_hysteresis_and_training_gate():
    cfg = SwitchConfig(strategy="auto", window=10, to_mono_abs_rel=0.15, back_to_stereo_abs_rel=0.25,
                       min_train_steps=100)
    sw = CueSwitch(cfg)
    t = 0.0

    def run(n, err, steps):
        nonlocal t
        out = []
        for _ in range(n):
            t += 0.02
            out.append(sw.decide(t, FAR, FAR, err, steps))
        return out

    assert all(d.cue == "stereo" for d in run(20, 0.05, 50))  # good error but too little training
    ds = run(1, 0.05, 100)
    assert ds[0].switched_to == "mono" and sw.phase == "mono"
    assert all(d.cue == "mono" for d in run(20, 0.2, 100))  # between thresholds: stay (hysteresis)
    ds = run(20, 0.4, 100)
    assert "stereo" in [d.switched_to for d in ds] and sw.phase == "stereo"
    # in its mono phase, auto keeps the training wheels
    run(20, 0.05, 100)
    assert sw.phase == "mono"
    t += 0.02
    assert sw.decide(t, NEAR, FAR, 0.05, 100).override_started


def test_thresholds_must_leave_a_hysteresis_band():
    with pytest.raises(ValueError, match="hysteresis"):
        SwitchConfig(to_mono_abs_rel=0.3, back_to_stereo_abs_rel=0.2)
