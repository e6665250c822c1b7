"""Start a loopback plansight AirSim server for a mission: in this process (a thread) or as a subprocess.

``process`` runs ``python -m sim.airsim.server --port 0`` and reads the ``listening on HOST:PORT`` line
it prints; physics and rendering then use a core of their own, and the server is a real separate
peer (killing it is what a crashed AirSim looks like). ``thread`` starts faster and shares this
process's GIL.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Protocol

from plansight.sim.drone.config_drone import DroneSimConfig

log = logging.getLogger(__name__)

_READY_TIMEOUT_S = 60.0


def sim_config(cfg: DroneSimConfig) -> DroneSimConfig:
    """The plain simulator part of a config (an ``AirSimConfig`` is a ``DroneSimConfig`` plus connection fields)."""
    d = cfg.model_dump(include=set(DroneSimConfig.model_fields))
    d["type"] = "mujoco_drone"
    return DroneSimConfig.model_validate(d)


class SpawnedServer(Protocol):
    host: str
    port: int

    def stop(self) -> None: ...


class ThreadServer:
    """``AirSimServer`` on a background thread of this process."""

    def __init__(self, cfg: DroneSimConfig, seed: int, clock_speed: float | None) -> None:
        from plansight.sim.airsim.server import AirSimServer
        from plansight.sim.airsim.vehicle import SimVehicle

        vehicle = SimVehicle(sim_config(cfg), seed=seed, clock_speed=clock_speed)
        self._server = AirSimServer(vehicle, "127.0.0.1", 0).start()
        self.host, self.port = self._server.address

    def stop(self) -> None:
        self._server.close()


class ProcessServer:
    """``python -m sim.airsim.server`` as a child process, on a free loopback port."""

    def __init__(self, cfg: DroneSimConfig, seed: int, clock_speed: float | None) -> None:
        root = str(Path(__file__).resolve().parents[2])
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([root, *filter(None, [env.get("PYTHONPATH")])])
        env.setdefault("MUJOCO_GL", "egl")
        cmd = [sys.executable, "-m", "plansight.sim.airsim.server", "--port", "0", "--room", str(seed),
               "--sim-json", sim_config(cfg).model_dump_json(), "--log-level", "WARNING"]
        if clock_speed:
            cmd += ["--clock-speed", str(clock_speed)]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=env, cwd=root)
        line: list[str] = []
        reader = threading.Thread(target=lambda: line.append(self.proc.stdout.readline()), daemon=True)
        reader.start()
        reader.join(_READY_TIMEOUT_S)
        if not line or not line[0].startswith("listening on "):
            self.stop()
            raise RuntimeError(f"the AirSim server subprocess did not start (exit code {self.proc.returncode}); "
                               f"command: {' '.join(cmd[:4])} ...")
        hostport = line[0].split("listening on ", 1)[1].strip()
        host, _, port = hostport.rpartition(":")
        self.host, self.port = host, int(port)
        log.info("started AirSim server subprocess pid %d on %s", self.proc.pid, hostport)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5.0)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5.0)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


SPAWNERS = {"thread": ThreadServer, "process": ProcessServer}
