"""Mission files: pydantic schemas derived from the registry, loaded from YAML, with one-line errors.

A mission names its parts by ``type``; each part's config class lives next to its implementation and is
registered in ``launch/registry.py``, the one list: the unions below are built from it, so a registered part is
a valid ``type`` with no edit here. The embodiment's registry ``kind`` picks the schema: ``Mission`` (drones:
embodiment, perception, policy, safety, duration) or ``ArmMission`` (arms: embodiment, a video planner and an
executor or an arm policy, replans). ``load_mission`` raises ``MissionError`` whose message is a single line
naming the file, the field and what is allowed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Union

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model, model_validator

from plansight.agent.control.safety import SafetyConfig
from plansight.agent.shared.errors import describe_error as _describe
from plansight.agent.shared.errors import reject_bools
from plansight.agent.shared.yaml_io import YamlInputError, check_finite, load_yaml
from plansight.launch import registry
from plansight.launch.goal_task import GoalTaskConfig


def _union(slot: str, **flags: Any) -> Any:
    """The discriminated union (on ``type``) of every config class registered under ``slot`` with ``flags``."""
    classes = tuple(registry.config_class(slot, n) for n in registry.names(slot, **flags))
    if not classes:
        raise RuntimeError(f"nothing is registered under {slot} with {flags}")
    return Annotated[Union[classes], Field(discriminator="type")]  # noqa: UP007


class RecordConfig(BaseModel):
    """What the run folder records besides metrics and events."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    video: bool = True
    video_every: int = Field(2, ge=1, le=100, description="record every n-th control step")
    video_scale: int = Field(3, ge=1, le=8, description="upscale factor of the 128×96 panels")
    dataset: bool = Field(False, description="write flight.h5 (images, stereo depth, ground truth, state)")
    dataset_every: int = Field(2, ge=1, le=100, description="log every n-th control step")


class ArmRecordConfig(BaseModel):
    """What an arm run folder records besides metrics and events."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    video: bool = Field(True, description="episode.mp4: the camera beside the current plan with its tracked points "
                        "and subgoals")
    video_every: int = Field(2, ge=1, le=100, description="record every n-th control step")


class _MissionFields(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    description: str = ""
    seed: int = Field(0, ge=0, le=2**31 - 1)


class _DroneFields(_MissionFields):
    """A drone mission: which embodiment, perception and policy, for how long, with which limits."""

    duration_s: float = Field(gt=0.0, le=3600.0, description="flight time after take-off, seconds (a goal "
                              "task's time limit)")
    task: GoalTaskConfig | None = Field(None, description="fly to a landmark of the room: {goal: magenta_panel}")
    safety: SafetyConfig = SafetyConfig()
    record: RecordConfig = RecordConfig()

    @model_validator(mode="after")
    def _parts_fit(self):
        _check_camera(self)
        _check_task(self)
        return self


def _check_task(m: BaseModel) -> None:
    """A goal policy needs a task, a plan-following policy a planner (and a planner such a policy); a task's goal
    must be a landmark of the embodiment's room where that is known."""
    wants = getattr(m.policy, "needs_planner", False)  # type: ignore[attr-defined]
    if wants and m.planner is None:  # type: ignore[attr-defined]
        raise ValueError(f"policy {m.policy.type} flies video plans: give the mission a planner, e.g. "  # type: ignore
                         "planner: {type: oracle}")
    if not wants and m.planner is not None:  # type: ignore[attr-defined]
        raise ValueError(f"planner: is read only by a plan-following policy (policy: {{type: video_plan}}), "
                         f"not {m.policy.type}")  # type: ignore[attr-defined]
    task = m.task  # type: ignore[attr-defined]
    if task is None:
        if getattr(m.policy, "needs_task", False):  # type: ignore[attr-defined]
            raise ValueError(f"policy {m.policy.type} flies to a goal: give the mission a task, e.g. "  # type: ignore
                             "task: {goal: magenta_panel} with room.landmarks: [magenta_panel]")
        return
    names = getattr(m.embodiment, "landmark_names", None)  # type: ignore[attr-defined]
    if names is not None and task.goal not in names:
        raise ValueError(f"task.goal {task.goal!r} is not a landmark of the {m.embodiment.type} room "  # type: ignore
                         f"(room.landmarks: {list(names) or 'none'}); add it to the room's landmarks")


def _check_camera(m: BaseModel) -> None:
    """The perception's camera must be one the embodiment will have (known from its config, before flying)."""
    names = getattr(m.embodiment, "camera_names", None)  # type: ignore[attr-defined]
    cam = getattr(m.perception, "camera", None)  # type: ignore[attr-defined]
    if names and cam is not None and cam not in names:
        raise ValueError(f"perception.camera {cam!r} does not exist on the {m.embodiment.type} embodiment "  # type: ignore
                         f"(cameras: {', '.join(names)}); a single-camera drone flies on mono depth: perception: "
                         "{type: mono_cnn}")


class _ArmFields(_MissionFields):
    """An arm mission: one episode of a task (the embodiment's), planned and executed, or run by an arm policy.

    ``seed`` is the episode's initial state (Meta-World's AVDC test seeds are 0–24: tune on others).
    """

    camera: str | None = Field(None, description="the camera the planner sees; null: the embodiment's first")
    replans: int = Field(5, ge=0, le=50, description="most new plans after the first (AVDC-Replan: 5)")
    plan_res: tuple[int, int] | None = Field(None, description="degrade predicted frames to (width, height) and back")
    record: ArmRecordConfig = ArmRecordConfig()

    @model_validator(mode="after")
    def _one_controller(self):
        planner, policy = getattr(self, "planner", None), getattr(self, "arm_policy", None)
        if planner is not None and policy is not None:
            raise ValueError("give a planner (with an executor) or an arm_policy, not both")
        if planner is None and policy is None:
            raise ValueError("give a planner (with an executor) or an arm_policy")
        cams = getattr(self.embodiment, "cameras", ())  # type: ignore[attr-defined]
        if self.camera is not None and cams and self.camera not in cams:
            raise ValueError(f"camera {self.camera!r} is not one of the embodiment's cameras {list(cams)}")
        return self


def _build_models() -> tuple[type[BaseModel], type[BaseModel]]:
    """(Mission, ArmMission) with unions from the registry as it is now."""
    default = {slot: registry.config_class(slot, registry.names(slot)[0])()
               for slot in ("perception", "policy", "executor")}
    drone = create_model("Mission", __base__=_DroneFields, __module__=__name__,
                         embodiment=(_union("embodiment", kind="drone"), ...),
                         perception=(_union("perception"), default["perception"]),
                         policy=(_union("policy"), default["policy"]),
                         planner=(_union("drone_planner") | None, None))
    arm = create_model("ArmMission", __base__=_ArmFields, __module__=__name__,
                       embodiment=(_union("embodiment", kind="arm"), ...),
                       planner=(_union("planner") | None, None),
                       executor=(_union("executor"), default["executor"]),
                       arm_policy=(_union("arm_policy") | None, None))
    return drone, arm


Mission, ArmMission = _build_models()
_models = (registry.version(), Mission, ArmMission)


def mission_models() -> tuple[type[BaseModel], type[BaseModel]]:
    """(Mission, ArmMission) for the registry as it is now (rebuilt after a ``registry.register``)."""
    global _models
    if _models[0] != registry.version():
        _models = (registry.version(), *_build_models())
    return _models[1], _models[2]


def is_arm(mission: BaseModel) -> bool:
    """Whether ``mission`` is an arm mission (by its embodiment's registry kind)."""
    return registry.entry("embodiment", mission.embodiment.type).kind == "arm"  # type: ignore[attr-defined]


def schema_for(raw: dict[str, Any]) -> type[BaseModel]:
    """The schema a raw mission mapping is validated against: its embodiment's registry ``kind``."""
    drone, arm = mission_models()
    emb = raw.get("embodiment")
    kind = None
    if isinstance(emb, dict) and isinstance(emb.get("type"), str):
        e = registry.REGISTRY.get("embodiment", {}).get(emb["type"])
        kind = e.kind if e is not None else None
    return arm if kind == "arm" else drone


class MissionError(ValueError):
    """A mission file that cannot be used; ``str(e)`` is one line for the user."""


MISSIONS_DIR = Path(__file__).parent / "missions"
"""The bundled missions: ``plansight run drone_room_stereo`` finds ``MISSIONS_DIR / "drone_room_stereo.yaml"``."""


def bundled_missions() -> list[str]:
    return sorted(p.stem for p in MISSIONS_DIR.glob("*.yaml"))


def mission_path(spec: str | Path) -> Path:
    """A mission file, or the name of a bundled mission (``drone_room_stereo``, with or without ``.yaml``)."""
    p = Path(spec)
    if p.is_file() or len(p.parts) > 1:
        return p
    bundled = MISSIONS_DIR / (p.name if p.suffix == ".yaml" else f"{p.name}.yaml")
    return bundled if bundled.is_file() else p


def apply_sets(raw: dict[str, Any], sets: list[str], where: str) -> None:
    """Apply ``a.b.c=value`` overrides (values are YAML) to the mapping ``raw`` in place; ``MissionError`` names a
    malformed item or a path through something that is not a mapping."""
    for item in sets:
        key, sep, text = item.partition("=")
        parts = key.strip().split(".")
        if not sep or not all(parts):
            raise MissionError(f"--set: expected KEY.PATH=VALUE like safety.max_speed_xy_mps=0.5, got {item!r}")
        try:
            value = yaml.safe_load(text)
        except yaml.YAMLError:
            raise MissionError(f"--set {key}: the value {text!r} is not YAML") from None
        node = raw
        for i, part in enumerate(parts[:-1]):
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise MissionError(f"{where}: --set {key}: {'.'.join(parts[:i + 1])} is not a mapping")
            node = child
        node[parts[-1]] = value


def load_mission(path: str | Path, overrides: dict[str, Any] | None = None, sets: list[str] | None = None) -> Mission:
    """Read, merge ``overrides`` (top-level keys) and ``sets`` (``a.b.c=value``), and validate a mission YAML
    file (or a bundled mission's name)."""
    p = mission_path(path)
    if not p.is_file():
        raise MissionError(f"{p}: mission file not found; bundled missions: {', '.join(bundled_missions())}")
    try:
        raw = load_yaml(p)
    except (YamlInputError, OSError) as e:
        raise MissionError(str(e) if isinstance(e, YamlInputError) else f"{p}: cannot read: {e.strerror}") from None
    if not isinstance(raw, dict):
        raise MissionError(f"{p}: a mission file must be a mapping of keys to values, got {type(raw).__name__}")
    raw.update(overrides or {})
    apply_sets(raw, sets or [], str(p))
    model = schema_for(raw)
    try:
        check_finite(raw)
        reject_bools(raw, model)
    except ValueError as e:
        raise MissionError(f"{p}: {e}") from None
    try:
        return model.model_validate(raw)
    except ValidationError as e:
        raise MissionError(f"{p}: {describe_error(e, model)}") from None


def describe_error(e: ValidationError, root: type[BaseModel] | None = None) -> str:
    """``agent.shared.errors.describe_error`` against ``root`` (default: the drone ``Mission``)."""
    return _describe(e, root or mission_models()[0])
