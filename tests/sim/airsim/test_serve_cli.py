"""`plansight serve-airsim` and the mission schema's `type: airsim`."""

from __future__ import annotations

import socket
import threading

import pytest
from typer.testing import CliRunner

from plansight.launch.cli import app
from plansight.launch.mission import MissionError, load_mission
from plansight.launch.serve_airsim import serve_airsim
from plansight.sim.airsim.client import RpcClient

from .test_airsim_mission import MISSIONS


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_airsim_serves_the_mission_room_until_stopped():
    port, ready, stop = _free_port(), threading.Event(), threading.Event()
    t = threading.Thread(target=serve_airsim, kwargs=dict(port=port, room=3, mission=MISSIONS / "airsim_room.yaml",
                                                         ready=ready, stop=stop), daemon=True)
    t.start()
    assert ready.wait(30)
    c = RpcClient("127.0.0.1", port, reconnect_attempts=1)
    try:
        assert c.call("ping") is True
        world = c.call("plansightGetWorld")
        assert world["room"]["seed"] == 3 and len(world["room"]["obstacles"]) == 5  # 4 poles + 1 box
    finally:
        c.close()
        stop.set()
        t.join(10)
    assert not t.is_alive()


def test_serve_airsim_cli_reports_a_taken_port_in_one_line():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        result = CliRunner().invoke(app, ["serve-airsim", "--port", str(port)])
    assert result.exit_code == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.output


def test_mission_schema_accepts_airsim_and_names_bad_fields(tmp_path):
    m = load_mission(MISSIONS / "airsim_room.yaml")
    assert m.embodiment.type == "airsim" and m.embodiment.spawn_server == "process"
    assert m.embodiment.room.n_poles == 4  # the simulator fields are those of drone_room_stereo
    bad = tmp_path / "bad.yaml"
    bad.write_text((MISSIONS / "airsim_room.yaml").read_text().replace("spawn_server: process", "spawn_server: yes"))
    with pytest.raises(MissionError, match=r"embodiment\.spawn_server: .*'none', 'thread' or 'process'"):
        load_mission(bad)
