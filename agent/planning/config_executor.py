"""Constants of the video→action executor (``type: flow``), in five sections: tracking, fit, grasp, controller and
replan. Defaults are AVDC's (``AVDC_experiments`` ``mypolicy.py``, ``myutils.py``) except where a field's description
says otherwise; what each departure measured is in BENCHMARKS.md (executor sections).

Every field name is unique across the sections, so a field can be given by its name alone (``gripper_tracker=lk``,
``ExecutorConfig(motion="rigid")``) or by its path (``tracking.gripper_tracker=lk``); both mean the same field, and
``flat()`` lists the fields by name (what evaluation keys hash). Import-light: pydantic only.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from plansight.agent.shared.errors import describe_error

TRACKERS = ("dense", "lk")
"""Point trackers of ``subgoals.track_points``: ``dense`` (the configured flow field) and ``lk`` (pyramidal
Lucas-Kanade)."""

MotionModel = Literal["translation", "rigid", "yaw"]
"""Frame-to-frame object motion: 3-DoF translation, 6-DoF rigid (AVDC's) or yaw (translation and a turn about the
vertical axis, 4 DoF)."""

PlanMode = Literal["grasp", "push"]
"""How the executor handles the object: close the gripper on it and carry it, or push it with closed fingers."""

Phase = Literal["approach", "descend", "close", "follow"]
"""Controller phases: above the start point, down to it, closing the fingers (grasp), following the subgoals."""

_FROZEN = ConfigDict(extra="forbid", frozen=True)


def _positive_m(value: float | None, info) -> float | None:
    """A distance that is off (None) or > 0 metres."""
    if value is not None and not value > 0:
        raise ValueError(f"{info.field_name} must be > 0 metres")
    return value


class TrackingConfig(BaseModel):
    """Which points of the plan are tracked, and how (pixels, metres)."""

    model_config = _FROZEN

    n_points: int = Field(500, ge=10, description="mask pixels sampled and lifted with first-frame depth (AVDC 500)")
    jitter_px: float = Field(0.5, ge=0.0, description="uniform jitter of the sampled pixels, ± pixels (AVDC ±0.5)")
    flow: str = Field("dis", description="OpenCV flow backend (AVDC: GMFlow, a learned network)")
    fb_tol_px: float | None = Field(1.0, description="forward-backward check, pixels; None = off (AVDC: no check)")
    object_tracker: Literal["dense", "lk", "truth"] = Field(
        "dense", description="how object points move frame to frame: dense flow (AVDC) or lk; 'truth' reads the "
        "object's true poses from an oracle plan (privileged; an ablation of tracking, not a tracker)")
    gripper_tracker: Literal["dense", "lk"] | None = Field(
        None, description="the same for gripper points: lk tracks the gripper and carries lifted objects with it; "
        "None: no gripper track (AVDC)")
    lk_win_px: int = Field(21, ge=3, description="Lucas-Kanade window, pixels")
    lk_levels: int = Field(4, ge=0, description="Lucas-Kanade pyramid levels")
    hand_radius_m: float = Field(0.06, gt=0.0, description="gripper pixels: lifted within this of the fingertip point")
    surface_z_m: float = Field(0.0, description="work surface height in the world frame (Meta-World's table top)")
    surface_clear_m: float = Field(0.01, ge=0.0, description="pixels closer than this to the surface are the table")
    held_with_hand: bool = Field(
        True, description="a held object's plan follows the fingertip region (object and fingers as one body, with "
        "the object tracker) even without a gripper_tracker; False: the object's own points (AVDC)")
    carry_lift_m: float = Field(0.04, description="an object lifted this far off its first-frame height...")
    carry_dist_m: float = Field(0.10, description="...with its contact point this close to the fingertips rides in "
                                "the hand")

    @field_validator("object_tracker", "gripper_tracker", mode="before")
    @classmethod
    def _known_tracker(cls, v: Any, info) -> Any:
        allowed = (*TRACKERS, "truth") if info.field_name == "object_tracker" else (*TRACKERS, None)
        if v not in allowed:
            raise ValueError(f"unknown {info.field_name} {v!r}; allowed: {', '.join(str(a) for a in allowed)}")
        return v


class FitConfig(BaseModel):
    """The object's frame-to-frame motion fit and the gates that reject implausible frames (pixels, metres)."""

    model_config = _FROZEN

    plan_depth: bool = Field(True, description="lift tracked points with the plan's own depth in every frame when it "
                             "has one (RGB-D plans) and fit 3-D to 3-D; False: first-frame depth and reprojection "
                             "only (AVDC)")
    ransac_m: float = Field(0.01, description="3-D fits (RGB-D plans): RANSAC inlier distance, metres")
    icp_radius_m: float | None = Field(0.02, description="RGB-D plans: after each frame's fit, ICP onto the frame's "
                                       "depth cloud around the object, pairing points this close; None: off")
    ransac_px: float = Field(1.0, gt=0.0, description="PnP RANSAC inlier threshold, pixels (AVDC 0.5 px, 2-D model)")
    ransac_iters: int = Field(100, ge=1, description="RANSAC iterations (AVDC 100)")
    motion: MotionModel = Field("yaw", description="frame-to-frame model; RGB plans fit yaw as a translation")
    depth_prior_px_per_m: float = Field(20.0, description="translation model: along-axis motion costs 1 px per "
                                        "point per 5 cm")
    static_margin: float = Field(1.5, description="a motion must explain this many times more points than "
                                 "'it stayed put'")
    reseed_px: float = Field(2.0, description="a tracked point farther than this from the fitted motion is re-seeded")
    min_track_frac: float = Field(0.1, ge=0.0, le=1.0, description="stop chaining when fewer tracked points remain "
                                  "(AVDC iTHOR: 10 %)")
    surface_gate: bool = Field(True, description="RGB-D plans: reject a frame's motion that puts the tracked points "
                               "(10th percentile) more than surface_clear_m below the work surface")
    occlusion_m: float | None = Field(None, description="RGB-D plans: a point whose depth comes nearer than "
                                      "predicted by more than this is occluded and left out; None: off")
    verify_m: float | None = Field(None, description="RGB-D plans: a frame's motion must agree with the frame's depth "
                                   "at least as well as staying put does (points within this); None: off")
    verify_margin: float = Field(0.1, description="...and a motion the flow test rejected is taken when the depth "
                                 "supports it by this fraction of the points more than staying put")
    max_step_m: float | None = Field(0.15, description="RGB-D plans: reject a frame's motion that moves a point "
                                     "farther than this; None: no limit")

    _positive = field_validator("ransac_m", "icp_radius_m", "max_step_m", "occlusion_m", "verify_m")(_positive_m)


class GraspConfig(BaseModel):
    """Grasp or push, and where the hand meets the object (metres)."""

    model_config = _FROZEN

    grasp_dz_m: float = Field(0.10, description="grasp when the subgoals' height range exceeds this (AVDC 0.10 m)")
    push_lower_m: float = Field(0.03, description="push: subgoals lowered (AVDC 0.03 m)")
    push_behind_m: float = Field(0.08, description="push: start this far behind the object (AVDC 0.08 m)")
    push_dir_min_m: float = Field(0.10, description="push direction: to the first subgoal this far away (AVDC 0.1 m)")
    grasp_lower_m: float = Field(0.02, description="grasp this far below the visible contact point (AVDC: at it)...")
    grasp_behind_m: float = Field(0.02, description="...and this far behind it along the camera ray")
    grasp_top_radius_m: float | None = Field(0.03, description="horizontally, grasp over the highest object points "
                                             "within this of the contact point; None: along the ray only")
    grasp_top_band_m: float = Field(0.005, description="...the points this close to the highest one")
    holding_opening: float = Field(0.8, description="a replan finds the object held when the gripper opening "
                                   "(state[3]) is below this...")
    holding_dist_m: float = Field(0.05, description="...and the contact point is this close to the fingertips")

    _positive = field_validator("grasp_top_radius_m", "grasp_top_band_m")(_positive_m)


class ControllerConfig(BaseModel):
    """The P controller (Meta-World move(): action = gain·error, each axis clipped to ±1 = ±1 cm)."""

    model_config = _FROZEN

    tool_offset_m: tuple[float, float, float] = Field(
        (0.0, 0.0, -0.045), description="controlled point = hand + this: the fingertip centre of Meta-World's Sawyer "
        "gripper is 4.5 cm below the reported hand position")
    gain: float = Field(20.0, gt=0.0, description="P gain, action units per metre (AVDC p=20)")
    approach_height_m: float = Field(0.2, description="go this far above the grasp point first (AVDC 0.2 m)")
    xy_tol_m: float = Field(0.02, gt=0.0, description="above the grasp point when the xy error is below this")
    z_tol_m: float = Field(0.04, gt=0.0, description="at the grasp point when the z error is below this (AVDC 0.04)")
    grip_effort: float = Field(0.8, ge=0.0, le=1.0, description="gripper command when closed, -effort when open")
    grasp_z_tol_m: float = Field(0.01, gt=0.0, description="grasp: descend to within this of the grasp height "
                                 "(AVDC 0.04)...")
    blocked_steps: int = Field(3, ge=1, description="...or until the hand has stopped this many steps")
    close_steps: int = Field(10, ge=0, description="grasp: hold still this many steps while the gripper closes")
    subgoal_tol_grasp_m: float = Field(0.04, gt=0.0, description="subgoal reached, grasp mode (AVDC 0.04 m)")
    subgoal_tol_push_m: float = Field(0.12, gt=0.0, description="subgoal reached, push mode (AVDC 0.12 m)")


class ReplanConfig(BaseModel):
    """When the executor asks for a new plan."""

    model_config = _FROZEN

    stall_move_m: float = Field(0.001, description="a step moving the hand less than this counts as stalled (1 mm)")
    stall_steps: int = Field(15, ge=1, description="replan after this many stalled steps (AVDC plan_timeout 15)")
    stall_consecutive: bool = Field(True, description="reset the count when the hand moves (AVDC never resets it)")
    replan_on_finish: bool = Field(False, description="also replan once the last subgoal is reached (AVDC: no)")


SECTIONS: dict[str, type[BaseModel]] = {"tracking": TrackingConfig, "fit": FitConfig, "grasp": GraspConfig,
                                        "controller": ControllerConfig, "replan": ReplanConfig}
SECTION_OF: dict[str, str] = {name: sec for sec, model in SECTIONS.items() for name in model.model_fields}
"""Field name → its section (the names are unique across sections)."""

class ExecutorConfig(BaseModel):
    """The flow executor's configuration (``executor: {type: flow, ...}`` in an arm mission)."""

    model_config = _FROZEN

    type: Literal["flow"] = "flow"
    tracking: TrackingConfig = TrackingConfig()
    fit: FitConfig = FitConfig()
    grasp: GraspConfig = GraspConfig()
    controller: ControllerConfig = ControllerConfig()
    replan: ReplanConfig = ReplanConfig()

    @model_validator(mode="before")
    @classmethod
    def _route_flat_names(cls, data: Any) -> Any:
        """Accept fields by name alone (``motion="rigid"``) beside the sections (``fit={"motion": "rigid"}``)."""
        if not isinstance(data, dict):
            return data
        out: dict[str, Any] = {}
        sections: dict[str, dict[str, Any]] = {}
        for key, value in data.items():
            if key in SECTION_OF:
                sections.setdefault(SECTION_OF[key], {})[key] = value
            else:
                out[key] = value
        for sec, values in sections.items():
            given = out.get(sec, {})
            if isinstance(given, BaseModel):
                given = given.model_dump()
            out[sec] = {**given, **values} if isinstance(given, dict) else given
        return out

    def replace(self, **changes: Any) -> ExecutorConfig:
        """A copy with ``changes`` (fields by name) applied and validated."""
        return type(self)(**{**self.flat(), **changes})

    def flat(self) -> dict[str, Any]:
        """Every field by name (no sections, no ``type``), JSON-ready: what an evaluation key's hash covers."""
        return {k: v for sec in SECTIONS for k, v in getattr(self, sec).model_dump(mode="json").items()}

    @classmethod
    def from_overrides(cls, overrides: dict[str, Any]) -> ExecutorConfig:
        """The defaults with ``overrides`` (field name or ``section.field`` → value) applied, each value validated
        (and coerced, e.g. a list to a tuple) against its field's type. ``ValueError`` names an unknown field or a
        bad value in one line."""
        flat: dict[str, Any] = {}
        unknown = []
        for key, value in overrides.items():
            name = canonical_field(key)
            if name is None:
                unknown.append(key)
            else:
                flat[name] = value
        if unknown:
            raise ValueError(f"unknown executor field(s) {', '.join(sorted(unknown))}; the fields are in "
                             "agent/planning/config_executor.py")
        try:
            return cls(**flat)
        except ValidationError as e:
            raise ValueError(f"executor field {describe_error(e, cls)}") from None


def canonical_field(key: str) -> str | None:
    """``"motion"`` or ``"fit.motion"`` → ``"motion"``; ``None`` for a name no section has."""
    sec, _, name = key.rpartition(".")
    if sec:
        return name if SECTION_OF.get(name) == sec else None
    return key if key in SECTION_OF else None
