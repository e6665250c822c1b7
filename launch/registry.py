"""Registered implementations, by the ``type`` a mission file gives: the one list of pluggable parts.

Each entry names its implementation and its typed config class as ``"module:attribute"`` strings, imported on first
use, so a mission that flies the MuJoCo drone never imports an AirSim or AR.Drone stack. The mission schema's unions
(``launch/mission.py``) and the list of hardware drones (``deploy``) are derived from here. Adding a part is one
file (implementation and config) plus one ``Entry`` line, or a ``register`` call from third-party code.

Slots and how ``build`` constructs their parts (``target(cfg, *args)``):

* ``embodiment``: ``(cfg)``; ``kind`` is ``drone`` or ``arm`` (which mission schema and runner), ``hardware``
  marks real vehicles ``plansight deploy`` can fly.
* ``perception``, ``policy`` (drone policies): ``(cfg, camera_model)``.
* ``drone_planner`` (video plans towards a drone mission's goal, handed to a ``video_plan`` policy):
  ``(cfg, camera_model)``.
* ``executor`` (video plan → arm commands): ``(cfg, cameras, seed)``.
* ``planner`` (video planners): ``(cfg, arm, executor)``; a learned planner ignores both.
* ``refiner`` (plan → refined plan, nested in a learned planner's config as ``refiner``): ``(cfg)``.
* ``critic`` (video plans → P(success), nested in a learned planner's config as ``critic``): ``(cfg)``.
* ``arm_policy`` (observation → arm command, no plan): ``(cfg, arm)``.
"""

from __future__ import annotations

import functools
import importlib
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel


@dataclass(frozen=True)
class Entry:
    """One registered part: ``target`` builds it, ``config`` is its pydantic config class (with a ``type`` field
    whose default is the entry's name)."""

    target: str
    config: str
    kind: Literal["drone", "arm"] | None = None
    hardware: bool = False
    preflight: str | None = None  # "module:callable" checking a config before an evaluation starts (ValueError)


_MW = "plansight.sim.metaworld"
REGISTRY: dict[str, dict[str, Entry]] = {
    "embodiment": {
        "mujoco_drone": Entry("plansight.sim.drone.drone_sim:DroneSim",
                              "plansight.sim.drone.config_drone:DroneSimConfig", kind="drone"),
        "airsim": Entry("plansight.sim.airsim.adapter:AirSimDrone", "plansight.sim.airsim.config_airsim:AirSimConfig",
                        kind="drone"),
        "ardrone": Entry("plansight.hardware.ardrone.drone:ArdroneDrone",
                         "plansight.hardware.ardrone.config_ardrone:ArdroneConfig", kind="drone", hardware=True),
        "metaworld_arm": Entry(f"{_MW}.arm_sim:MetaWorldArm", f"{_MW}.config_metaworld:MetaWorldConfig", kind="arm"),
    },
    "perception": {
        "sgbm": Entry("plansight.agent.perception.stereo:SgbmStereoDepth",
                      "plansight.agent.perception.stereo:StereoConfig"),
        "persistent_ssl": Entry("plansight.agent.perception.persistent:PersistentSSLPerception",
                                "plansight.agent.perception.config_persistent:PersistentSSLConfig"),
        "mono_cnn": Entry("plansight.agent.perception.mono:MonoDepthPerception",
                          "plansight.agent.perception.config_mono:MonoConfig"),
    },
    "policy": {
        "avoidance": Entry("plansight.agent.control.avoidance:ReactiveAvoidance",
                           "plansight.agent.control.avoidance:AvoidanceConfig"),
        "rl": Entry("plansight.agent.control.rl_policy:RLPolicy", "plansight.agent.control.rl_policy:RLPolicyConfig"),
        "map_expert": Entry("plansight.agent.control.map_expert:MapExpert",
                            "plansight.agent.control.map_expert:MapExpertConfig"),
        "goal_bearing": Entry("plansight.agent.control.goal_bearing:GoalBearing",
                              "plansight.agent.control.goal_bearing:GoalBearingConfig"),
        "video_plan": Entry("plansight.agent.planning.ego_executor:VideoPlanPolicy",
                            "plansight.agent.planning.ego_executor:VideoPlanPolicyConfig"),
    },
    "drone_planner": {
        "oracle": Entry("plansight.launch.drone_oracle:OracleDronePlanner",
                        "plansight.launch.drone_oracle:OracleDronePlanConfig"),
        "video": Entry("plansight.agent.planning.drone_video_planner:LearnedDronePlanner",
                       "plansight.agent.planning.drone_video_planner:LearnedDronePlanConfig"),
    },
    "executor": {
        "flow": Entry("plansight.agent.planning.executor:FlowPlanExecutor.from_config",
                      "plansight.agent.planning.config_executor:ExecutorConfig"),
    },
    "planner": {
        "oracle": Entry(f"{_MW}.oracle:OraclePlanner.from_config", f"{_MW}.config_oracle:OracleConfig"),
        "diffusion": Entry("plansight.agent.planning.video_planner:DiffusionVideoPlanner.from_config",
                           "plansight.agent.planning.config_planner:DiffusionPlannerConfig",
                           preflight="plansight.agent.planning.video_planner:DiffusionVideoPlanner.preflight"),
    },
    "refiner": {
        "self_conditioned": Entry("plansight.agent.planning.video_planner:DiffusionVideoPlanner.from_refiner_config",
                                  "plansight.agent.planning.config_refine:RefinerConfig"),
    },
    "critic": {
        "learned": Entry("plansight.agent.planning.critic:PlanCritic.from_config",
                         "plansight.agent.planning.config_critic:CriticConfig"),
    },
    "arm_policy": {
        "expert": Entry(f"{_MW}.expert:ExpertArmPolicy.from_config", f"{_MW}.config_expert:ExpertPolicyConfig"),
        "act_jepa": Entry("plansight.agent.control.act_policy:ActChunkPolicy.from_config",
                          "plansight.agent.control.config_act:ActPolicyConfig",
                          preflight="plansight.agent.control.act_policy:ActChunkPolicy.preflight"),
    },
}

_version = 0  # bumped by ``register``: derived schemas rebuild when it changes


def version() -> int:
    """A counter that changes whenever an entry is added (for caches of derived schemas)."""
    return _version


def register(slot: str, type_name: str, target: str | Entry, config: str | None = None, **flags: Any) -> None:
    """Add ``type_name`` under ``slot``: ``register("planner", "mine", "pkg.mod:Planner", "pkg.mod:MineConfig")``."""
    global _version
    entry = target if isinstance(target, Entry) else Entry(target, config or "", **flags)
    for what in (entry.target, entry.config):
        if ":" not in what:
            raise ValueError(f"register {slot}/{type_name}: expected 'module:attribute', got {what!r}")
    REGISTRY.setdefault(slot, {})[type_name] = entry
    _version += 1


def entry(slot: str, type_name: str) -> Entry:
    try:
        return REGISTRY[slot][type_name]
    except KeyError:
        known = ", ".join(sorted(REGISTRY.get(slot, {})))
        raise KeyError(f"no {slot} registered as {type_name!r}; known: {known}") from None


@functools.cache
def _import(target: str) -> Any:
    module, _, attr = target.partition(":")
    obj: Any = importlib.import_module(module)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


def resolve(slot: str, type_name: str) -> Any:
    """Import and return what builds ``type_name`` under ``slot`` (a class or a ``from_config`` classmethod)."""
    return _import(entry(slot, type_name).target)


def config_class(slot: str, type_name: str) -> type[BaseModel]:
    """The pydantic config class of ``type_name`` under ``slot``."""
    return _import(entry(slot, type_name).config)


def config_classes(slot: str) -> list[type[BaseModel]]:
    """Every config class registered under ``slot``, in registration order."""
    return [config_class(slot, name) for name in REGISTRY.get(slot, {})]


def preflight(slot: str, type_name: str) -> Any:
    """The entry's preflight check ``check(cfg, tasks, width, height)``, or ``None``."""
    target = entry(slot, type_name).preflight
    return _import(target) if target else None


def names(slot: str, **flags: Any) -> list[str]:
    """Type names under ``slot`` whose entry has every given flag, e.g. ``names("embodiment", hardware=True)``."""
    return [n for n, e in REGISTRY.get(slot, {}).items() if all(getattr(e, k) == v for k, v in flags.items())]


def build(slot: str, cfg: BaseModel, *args: Any) -> Any:
    """Construct the implementation for ``cfg.type`` as ``target(cfg, *args)``."""
    return resolve(slot, cfg.type)(cfg, *args)  # type: ignore[attr-defined]
