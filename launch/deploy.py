"""``plansight deploy`` and ``plansight emulate``: the same mission on a (real or emulated) AR.Drone.

``deploy_mission`` turns any drone mission into a hardware mission by swapping the embodiment type
(keeping an existing hardware block's settings) and, if given, the host. ``run_emulator`` serves a
loopback AR.Drone until interrupted.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from pydantic import ValidationError

from plansight.hardware.ardrone.config_ardrone import EmulatorConfig, FaultConfig, PortsConfig
from plansight.launch import registry
from plansight.launch.mission import Mission, MissionError, describe_error, mission_models

log = logging.getLogger(__name__)



def hardware_drones() -> list[str]:
    """Embodiments registered as hardware (``Entry.hardware``): what ``--drone`` accepts."""
    return registry.names("embodiment", hardware=True)


def deploy_mission(mission: Mission, drone: str, host: str | None) -> Mission:
    """``mission`` with ``embodiment.type = drone`` (and ``host``); raises ``MissionError``."""
    if drone not in hardware_drones():
        raise MissionError(f"--drone: unknown drone {drone!r}; supported: {', '.join(hardware_drones())}")
    emb = mission.embodiment
    block: dict[str, Any] = emb.model_dump(mode="json") if emb.type == drone else {"type": drone}
    if host is not None:
        block["host"] = host
    try:
        return mission_models()[0].model_validate({**mission.model_dump(mode="json"), "embodiment": block})
    except ValidationError as e:
        raise MissionError(f"deploy: {describe_error(e)}") from None


def run_emulator(cfg: EmulatorConfig, host: str, ports: PortsConfig, seed: int, stop: threading.Event,
                 status_every_s: float = 2.0) -> None:
    """Serve a loopback AR.Drone on ``host`` until ``stop`` is set (Ctrl-C in the CLI)."""
    from plansight.hardware.ardrone.emulator import ArdroneEmulator
    from plansight.hardware.ardrone.navdata import CTRL_NAMES

    with ArdroneEmulator(cfg, host, ports) as emu:
        p = emu.start(seed)
        log.info("AR.Drone emulator ready on %s: AT udp/%d, navdata udp/%d, video tcp/%d, control tcp/%d",
                 host, p.at, p.navdata, p.video, p.control)
        while not stop.wait(status_every_s):
            truth, _ = emu.truth()
            fw = emu.firmware
            log.info("%s, altitude %.2f m, battery %.0f %%, %s", CTRL_NAMES.get(fw.ctrl_state, fw.ctrl_state),
                     truth.position[2], fw.battery, emu.stats)


def fault_config(loss: float, latency_ms: float, seed: int) -> FaultConfig:
    return FaultConfig(packet_loss=loss, latency_s=latency_ms / 1000.0, seed=seed)
