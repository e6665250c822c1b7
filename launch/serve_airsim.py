"""``plansight serve-airsim``: an AirSim-compatible msgpack-rpc server over our MuJoCo quadrotor.

Users' own AirSim scripts (``airsim.MultirotorClient()``) and ``type: airsim`` missions connect to it
as they would to Unreal AirSim, on port 41451 by default. The simulator comes from a mission file's
embodiment (``mujoco_drone`` or ``airsim``) or the defaults; ``room`` picks the seeded room.
"""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path

from plansight.launch.mission import load_mission
from plansight.sim.airsim.methods import implemented
from plansight.sim.airsim.server import AirSimServer
from plansight.sim.airsim.spawn import sim_config
from plansight.sim.airsim.vehicle import SimVehicle
from plansight.sim.drone.config_drone import DroneSimConfig

log = logging.getLogger(__name__)


def serve_airsim(host: str = "127.0.0.1", port: int = 41451, room: int = 0, mission: Path | None = None,
                 clock_speed: float | None = None, ready: threading.Event | None = None,
                 stop: threading.Event | None = None) -> None:
    """Serve until Ctrl-C / SIGTERM (or ``stop`` is set). Raises ``MissionError`` for a bad mission file and
    ``OSError`` when the port is taken."""
    cfg = sim_config(load_mission(mission).embodiment) if mission is not None else DroneSimConfig()
    server = AirSimServer(SimVehicle(cfg, seed=room, clock_speed=clock_speed), host, port).start()
    stop = stop or threading.Event()
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    h, p = server.address
    pace = f"clock speed {clock_speed:g}" if clock_speed else "lock-stepped (as fast as possible)"
    log.info("AirSim-compatible server on %s:%d, room %d, %s; %d methods", h, p, room, pace, len(implemented()))
    log.info("connect with airsim.MultirotorClient(ip=%r, port=%d); Ctrl-C stops", h, p)
    if ready is not None:
        ready.set()
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        server.close()
        log.info("server stopped")
