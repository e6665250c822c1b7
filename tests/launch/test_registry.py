"""The registry is the one list: every entry imports, every bundled mission's parts resolve to it, and the
mission schemas and the hardware list are derived from it."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel

from plansight.launch import registry
from plansight.launch.deploy import hardware_drones
from plansight.launch.mission import is_arm, load_mission, mission_models

MISSIONS = sorted((Path(__file__).resolve().parents[2] / "launch" / "missions").glob("*.yaml"))


@pytest.mark.parametrize(("slot", "name"), [(s, n) for s, entries in registry.REGISTRY.items() for n in entries])
def test_every_entry_imports_with_a_typed_config(slot, name):
    assert callable(registry.resolve(slot, name))
    cfg = registry.config_class(slot, name)
    assert issubclass(cfg, BaseModel)
    assert cfg.model_fields["type"].default == name  # the config's tag is the registry name
    e = registry.entry(slot, name)
    if slot == "embodiment":
        assert e.kind in ("drone", "arm")
    if e.preflight:
        assert callable(registry.preflight(slot, name))


@pytest.mark.parametrize("path", MISSIONS, ids=lambda p: p.stem)
def test_every_bundled_mission_resolves_its_parts(path):
    m = load_mission(path)
    slots = (("embodiment", "planner", "executor", "arm_policy") if is_arm(m)
             else ("embodiment", "perception", "policy"))
    for slot in slots:
        part = getattr(m, slot)
        if part is not None:
            assert isinstance(part, registry.config_class(slot, part.type)), (slot, part.type)
    drone, arm = mission_models()  # rebuilt when a test registers a part: compare with the current schemas
    assert isinstance(m, arm if is_arm(m) else drone)
    assert type(m).__name__ == ("ArmMission" if is_arm(m) else "Mission")


def test_arm_and_drone_missions_are_both_bundled():
    kinds = {is_arm(load_mission(p)) for p in MISSIONS}
    assert kinds == {True, False}
    assert {"metaworld_door_open", "metaworld_shelf_place"} <= {p.stem for p in MISSIONS}


def test_schemas_and_hardware_list_come_from_the_registry():
    drone, arm = mission_models()
    planner_tags = set(registry.names("planner"))
    schema = arm.model_json_schema()
    mapping = schema["properties"]["planner"]["anyOf"][0]["discriminator"]["mapping"]
    assert set(mapping) == planner_tags
    emb = drone.model_json_schema()["properties"]["embodiment"]["discriminator"]["mapping"]
    assert set(emb) == set(registry.names("embodiment", kind="drone"))
    assert hardware_drones() == registry.names("embodiment", hardware=True) == ["ardrone"]


def test_register_rejects_a_malformed_target():
    with pytest.raises(ValueError, match="module:attribute"):
        registry.register("planner", "broken", "no_colon_here", "x:y")
    with pytest.raises(KeyError, match="known: diffusion, oracle"):
        registry.resolve("planner", "nope")
