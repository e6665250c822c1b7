"""Hostile and careless mission files and arguments: one line naming the problem, exit 2, no traceback, no hang
(issue: hardening). Each case is a file a person or a fuzzer wrote."""

from __future__ import annotations

import subprocess
import sys

import pytest

from plansight.agent.shared.yaml_io import MAX_NODES, YamlInputError, load_yaml
from plansight.launch.mission import MissionError, load_mission

BASE = "name: x\nduration_s: 5\nembodiment: {type: mujoco_drone}\n"


def _bomb(levels: int) -> str:
    lines = ["a0: &a0 {k: 1}"] + [f"a{i}: &a{i} {{<<: [*a{i - 1}], x{i}: *a{i - 1}, y{i}: *a{i - 1}}}"
                                   for i in range(1, levels)]
    return "\n".join(lines) + "\n"


CASES = {
    "latin1": (BASE.encode() + b'description: "caf\xe9"\n', "not UTF-8 text"),
    "utf16": ("name: x\n".encode("utf-16"), "not UTF-8 text"),
    "binary": (b"name: x\x00\x01\x02", "binary data"),
    "deep": ("v: " + "[" * 5000 + "]" * 5000 + "\n", "nested deeper than 64 levels"),
    "bomb": (_bomb(40), f"expands to more than {MAX_NODES} nodes"),
    "duplicate": (BASE + "safety: {geofence_min_m: [-1, -1, 0]}\nsafety: {}\n", "key 'safety' appears twice"),
    "seed_true": (BASE + "seed: true\n", "seed: expected a number, got true"),
    "nan_geofence": (BASE + "safety: {geofence_min_m: [.nan, .nan, .nan]}\n",
                     "safety.geofence_min_m[0]: must be a finite number (got nan)"),
    "inf_gain": (BASE.replace("{type: mujoco_drone}", "{type: mujoco_drone, controller: {velocity_gain: .inf}}"),
                 "embodiment.controller.velocity_gain: must be a finite number (got inf)"),
    "inf_learner": (BASE + "perception: {type: persistent_ssl, learner: {steps_per_second: .inf}}\n",
                    "perception.learner.steps_per_second: must be a finite number"),
    "checkpoint_dir": (BASE + "perception: {type: mono_cnn, camera: left, checkpoint: /tmp}\n",
                       "perception.checkpoint: /tmp is a folder"),
    "checkpoint_missing": (BASE + "perception: {type: mono_cnn, camera: left, checkpoint: /nope.safetensors}\n",
                           "/nope.safetensors: no such file"),
    "checkpoint_not_weights": (BASE + "perception: {type: mono_cnn, camera: left, checkpoint: /etc/hostname}\n",
                               "is not a .safetensors file"),
    "unknown_camera": (BASE.replace("mujoco_drone", "ardrone"), "perception.camera 'left' does not exist"),
    "negative_inertia": (BASE.replace("{type: mujoco_drone}", "{type: mujoco_drone, quad: {inertia_kgm2: [-1, 1, 1]}}"),
                         "embodiment.quad.inertia_kgm2.0: Input should be greater than 0"),
    "empty_channels": (BASE + "perception: {type: persistent_ssl, net: {channels: []}}\n",
                       "perception.net.channels"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_hostile_mission_files_are_one_line_errors(case, tmp_path):
    content, needle = CASES[case]
    path = tmp_path / f"{case}.yaml"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(MissionError) as e:
        load_mission(path)
    msg = str(e.value)
    assert needle in msg and "\n" not in msg and msg.startswith(str(path)), msg


def test_the_cli_says_it_in_one_line_and_exits_2(tmp_path):
    for case in ("bomb", "deep", "latin1", "duplicate"):
        content, needle = CASES[case]
        path = tmp_path / f"{case}.yaml"
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
        r = subprocess.run([sys.executable, "-m", "plansight.launch.cli", "validate", str(path)],
                           capture_output=True, text=True, timeout=60, cwd=tmp_path)
        lines = [x for x in r.stderr.splitlines() if x.strip()]
        assert r.returncode == 2 and len(lines) == 1 and needle in lines[0], r.stderr


def test_anchors_within_bounds_still_work(tmp_path):
    p = tmp_path / "anchors.yaml"
    p.write_text(BASE + "x-defaults: &room {n_poles: 2}\n")
    assert load_yaml(p)["x-defaults"] == {"n_poles": 2}
    small = tmp_path / "small_bomb.yaml"
    small.write_text(_bomb(8))
    assert len(load_yaml(small)["a7"]) > 3
    with pytest.raises(YamlInputError, match="is a folder"):
        load_yaml(tmp_path)


@pytest.mark.parametrize(("args", "needle"), [
    (["fly", "drone_room_stereo", "--runs-dir", "/dev/null/runs"], "--runs-dir: cannot create /dev/null/runs"),
    (["fly", "drone_room_stereo", "--duration", "nan"], "--duration: must be a finite number of seconds"),
    (["run", "drone_room_stereo", "--duration", "inf"], "--duration: must be a finite number of seconds"),
    (["retrain-depth", "x.h5", "--out", "/dev/null/d.safetensors"], "--out: cannot write into /dev/null"),
    (["retrain-depth", "x.h5", "--out", "/tmp"], "--out: /tmp is a folder"),
])
def test_bad_arguments_before_anything_runs(tmp_path, args, needle):
    r = subprocess.run([sys.executable, "-m", "plansight.launch.cli", *args], capture_output=True, text=True,
                       timeout=60, cwd=tmp_path)
    lines = [x for x in r.stderr.splitlines() if x.strip()]
    assert r.returncode == 2 and len(lines) == 1 and needle in lines[0], r.stderr
