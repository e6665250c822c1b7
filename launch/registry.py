"""Registered implementations, by the ``type`` a mission file gives: no if/elif over backends.

Entries are ``"module:Class"`` strings imported on first use, so a mission that flies the MuJoCo
drone never imports an AirSim or AR.Drone stack. Third-party code can add entries with
``register``.
"""

from __future__ import annotations

import importlib
from typing import Any

from pydantic import BaseModel

REGISTRY: dict[str, dict[str, str]] = {
    "embodiment": {"mujoco_drone": "plansight.sim.drone.drone_sim:DroneSim",
                   "ardrone": "plansight.hardware.ardrone.drone:ArdroneDrone",
                   "airsim": "plansight.sim.airsim.adapter:AirSimDrone",
                   "metaworld_arm": "plansight.sim.metaworld.arm_sim:MetaWorldArm"},
    "perception": {"sgbm": "plansight.agent.perception.stereo:SgbmStereoDepth",
                   "persistent_ssl": "plansight.agent.perception.persistent:PersistentSSLPerception",
                   "mono_cnn": "plansight.agent.perception.mono:MonoDepthPerception"},
    "policy": {"avoidance": "plansight.agent.control.avoidance:ReactiveAvoidance"},
}


def register(slot: str, type_name: str, target: str) -> None:
    """Add ``type_name`` → ``"module:Class"`` under ``slot`` (embodiment, perception, policy, …)."""
    if ":" not in target:
        raise ValueError(f"target must be 'module:Class', got {target!r}")
    REGISTRY.setdefault(slot, {})[type_name] = target


def resolve(slot: str, type_name: str) -> type:
    """Import and return the class registered for ``type_name`` under ``slot``."""
    try:
        target = REGISTRY[slot][type_name]
    except KeyError:
        known = ", ".join(sorted(REGISTRY.get(slot, {})))
        raise KeyError(f"no {slot} registered as {type_name!r}; known: {known}") from None
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


def build(slot: str, cfg: BaseModel, *args: Any) -> Any:
    """Construct the implementation for ``cfg.type`` as ``Class(cfg, *args)``."""
    return resolve(slot, cfg.type)(cfg, *args)  # type: ignore[attr-defined]
