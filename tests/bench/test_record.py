"""Benches do not overwrite the record by accident: without --record they write under runs/bench (here a temporary
folder), and --record refuses a run smaller than the section's protocol."""

from __future__ import annotations

import hashlib
import json

import pytest

from bench import common, executor_ablation


def _fake_variant(folder, seeds, success):
    folder.mkdir(parents=True)
    lines = [json.dumps({"key": f"{t}|corner|{s}|5", "task": t, "camera": "corner", "seed": s, "replans": 5,
                         "success": success(t, s), "seconds": 1.0}) for t in ("door-open", "hammer") for s in seeds]
    (folder / "episodes.jsonl").write_text("\n".join(lines) + "\n")


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_bench_without_record_leaves_the_record_untouched(tmp_path, monkeypatch):
    monkeypatch.setenv("PLANSIGHT_BENCH_OUT", str(tmp_path / "scratch"))
    monkeypatch.setattr(common, "RECORD", False)
    out = tmp_path / "ablation"
    _fake_variant(out / "default", range(100, 102), lambda t, s: True)
    _fake_variant(out / "rgb", range(100, 102), lambda t, s: s == 100)
    before = (_digest(common.BENCHMARKS_MD), _digest(common.RESULTS / "executor_ablation.json"))
    figures = executor_ablation.record_ablation(out)
    assert figures["variants"]["default"]["successes"] == 4 and figures["variants"]["rgb"]["successes"] == 2
    assert (_digest(common.BENCHMARKS_MD), _digest(common.RESULTS / "executor_ablation.json")) == before
    md = (tmp_path / "scratch" / "executor_ablation.md").read_text()
    assert "tuning seeds, disjoint from the test seeds 0–24" in md and "4/4" in md
    assert json.loads((tmp_path / "scratch" / "executor_ablation.json").read_text())["figures"]["episodes"] == 4


def test_record_refuses_a_run_smaller_than_its_protocol(tmp_path, monkeypatch):
    monkeypatch.setattr(common, "RECORD", True)
    out = tmp_path / "ablation"
    _fake_variant(out / "default", range(100, 102), lambda t, s: True)
    _fake_variant(out / "rgb", range(100, 102), lambda t, s: False)
    before = _digest(common.BENCHMARKS_MD)
    with pytest.raises(common.ProtocolError, match="4 episodes, the protocol is ≥ 66"):
        executor_ablation.record_ablation(out)
    test_seeds = tmp_path / "on_test_seeds"
    _fake_variant(test_seeds / "default", range(0, 40), lambda t, s: True)
    _fake_variant(test_seeds / "rgb", range(0, 40), lambda t, s: True)
    with pytest.raises(common.ProtocolError, match="overlap the test seeds"):
        executor_ablation.record_ablation(test_seeds)
    assert _digest(common.BENCHMARKS_MD) == before
