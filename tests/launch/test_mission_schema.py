"""Bad mission files give one line naming the field and what is allowed — never a traceback."""

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from plansight.launch.mission import MissionError, load_mission

REPO = Path(__file__).resolve().parents[2]
GOOD = REPO / "launch" / "missions" / "drone_room_stereo.yaml"


def _variant(tmp_path: Path, edit) -> Path:
    raw = yaml.safe_load(GOOD.read_text())
    edit(raw)
    p = tmp_path / "mission.yaml"
    p.write_text(yaml.safe_dump(raw))
    return p


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "plansight.launch.cli", *args], capture_output=True, text=True,
                          cwd=REPO, timeout=120)


def test_bundled_missions_validate():
    for p in (REPO / "launch" / "missions").glob("*.yaml"):
        load_mission(p)


CASES = {
    "unknown top-level key": (lambda r: r.update(speeed=3), ["speeed", "unknown key", "duration_s"]),
    "unknown nested key": (lambda r: r["embodiment"]["room"].update(n_pols=3),
                           ["embodiment.room.n_pols", "unknown key", "n_poles"]),
    "wrong type": (lambda r: r.update(duration_s="a minute"), ["duration_s", "valid number", "'a minute'"]),
    "out of range": (lambda r: r["embodiment"].update(control_hz=500),
                     ["embodiment.control_hz", "less than or equal to 50", "500"]),
    "negative duration": (lambda r: r.update(duration_s=-5), ["duration_s", "greater than 0"]),
    "unknown backend": (lambda r: r["embodiment"].update(type="unreal"),
                        ["embodiment.type", "'unreal'", "mujoco_drone"]),
    "missing field": (lambda r: r.pop("duration_s"), ["duration_s", "required"]),
    "cross-field rule": (lambda r: r["embodiment"].update(physics_hz=410), ["embodiment", "multiple of control_hz"]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_mission_is_one_clear_line(tmp_path, case):
    edit, expected = CASES[case]
    path = _variant(tmp_path, edit)
    with pytest.raises(MissionError) as e:
        load_mission(path)
    msg = str(e.value)
    assert "\n" not in msg
    for part in expected:
        assert part in msg, msg


def test_cli_reports_bad_file_without_traceback(tmp_path):
    path = _variant(tmp_path, lambda r: r["policy"].update(max_speed_mps="fast"))
    for cmd in ("validate", "fly"):
        r = _cli(cmd, str(path))
        assert r.returncode == 2
        lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
        assert len(lines) == 1, r.stderr
        assert "policy.max_speed_mps" in lines[0] and "Traceback" not in r.stderr + r.stdout


def test_cli_missing_file_and_bad_yaml(tmp_path):
    r = _cli("fly", str(tmp_path / "nope.yaml"))
    assert r.returncode == 2 and "mission file not found" in r.stderr and "Traceback" not in r.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nduration_s: [1, 2\n")
    r = _cli("validate", str(bad))
    assert r.returncode == 2 and "not valid YAML (line" in r.stderr and "Traceback" not in r.stderr
    bad.write_text("- just\n- a list\n")
    r = _cli("validate", str(bad))
    assert r.returncode == 2 and "must be a mapping" in r.stderr


def test_every_bundled_mission_round_trips_through_its_resolved_form(tmp_path):
    """What ``show-config`` writes (every default spelt out) loads again as the same mission."""
    import yaml

    from plansight.launch.mission import MISSIONS_DIR, load_mission

    for path in sorted(MISSIONS_DIR.glob("*.yaml")):
        m = load_mission(path)
        resolved = tmp_path / path.name
        resolved.write_text(yaml.safe_dump(m.model_dump(mode="json"), sort_keys=False))
        assert load_mission(resolved).model_dump() == m.model_dump(), path.name
