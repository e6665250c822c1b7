"""The official AirSim 1.8.1 Python client, unchanged, against our server: a peer no one here wrote.

It lives in `.venv-airsim` (made by `make airsim-client`, which `make test` depends on) because it needs
msgpack < 1 and tornado < 5; it runs as a separate process over a real socket.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
AIRSIM_PY = ROOT / ".venv-airsim" / "bin" / "python"
SCRIPT = Path(__file__).with_name("official_client_script.py")


@pytest.fixture(scope="module")
def official_python() -> Path:
    if not AIRSIM_PY.exists():
        pytest.skip(f"official airsim client not installed ({AIRSIM_PY} missing): run `make airsim-client`")
    probe = subprocess.run([str(AIRSIM_PY), "-c", "import airsim; print(airsim.__version__)"],
                           capture_output=True, text=True, timeout=60)
    if probe.returncode != 0:
        pytest.skip(f"official airsim client does not import in .venv-airsim: {probe.stderr.strip()[-300:]}")
    assert probe.stdout.strip() == "1.8.1"
    return AIRSIM_PY


def test_official_client_flies_our_server(official_python, server):
    _, port = server.address
    proc = subprocess.run([str(official_python), str(SCRIPT), str(port)], capture_output=True, text=True,
                          timeout=120, cwd=SCRIPT.parent)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["airsim_version"] == "1.8.1"
    assert out["api_control"] is True and out["armed"] is True
    assert out["home_latitude"] == pytest.approx(47.641468, abs=1e-4)
    assert out["landed_state_before"] == 0 and out["landed_state_flying"] == 1
    assert out["z_after_takeoff"] == pytest.approx(-0.95, abs=0.05)  # NED: up is negative
    assert out["move_result"] is True
    assert out["dx_body_forward"] > 0.3 and abs(out["dy_body_forward"]) < 0.05
    assert out["dz_up"] < -0.2
    assert out["scene"]["shape"] == [96, 128, 3] and out["scene"]["dtype"] == "uint8"
    assert 5.0 < out["scene"]["mean"] < 250.0
    assert out["scene_right_differs"] is True
    assert out["depth"]["shape"] == [96, 128] and out["depth"]["dtype"] == "float32"
    assert 0.05 < out["depth"]["min"] < out["depth"]["max"] < 30.0
    assert out["png_magic"] == "89504e470d0a1a0a"
    assert out["image_type_types"] == [0, 0, 1, 0]
    assert out["collision"] == {"has_collided": False, "object_name": ""}
    assert out["arity_error"] == ("RPCError: rpclib: server could not find function 'moveByVelocity' "
                                  "with argument count 4.")
    assert out["landed_state_after"] == 0 and out["z_after_land"] > -0.1
    assert out["disarmed"] is True
