"""bench.mono_depth keeps the seeds apart: the ablation never scores held-out rooms, the record never other rooms."""

from __future__ import annotations

import pytest

from bench import common, mono_depth


def test_the_ablation_refuses_held_out_rooms_and_the_record_refuses_the_rest(tmp_path):
    with pytest.raises(ValueError, match="overlap the held-out rooms"):
        mono_depth.ablation({"a": tmp_path / "a.safetensors"}, [900, 1003])
    with pytest.raises(ValueError, match="not held-out rooms"):
        mono_depth.run(rooms=[900, 901, 902, 903, 904])
    with pytest.raises(ValueError, match="≥ 15"):
        mono_depth.stability(minutes=10)
    assert common.PROTOCOLS["mono_depth"]({"rooms": [1000, 1001]}) is not None
    assert common.PROTOCOLS["mono_depth"]({"rooms": list(range(1000, 1005))}) is None
    assert common.PROTOCOLS["mono_depth_stability"]({"minutes": 20}) is not None
    assert common.PROTOCOLS["mono_depth_ablation"]({"candidates": {"a": 1, "b": 2}, "rooms": [900, 901]}) is None
