"""Constants of the video→action executor. Defaults are AVDC's (``AVDC_experiments`` ``mypolicy.py``,
``myutils.py``), except where a field's comment says otherwise."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, get_type_hints

from pydantic import TypeAdapter, ValidationError

TRACKERS = ("dense", "lk")
"""Point trackers of ``subgoals.track_points``: ``dense`` (the configured flow field) and ``lk`` (pyramidal
Lucas-Kanade)."""


@dataclass(frozen=True, kw_only=True)
class ExecutorConfig:
    # --- points and flow
    n_points: int = 500  # mask pixels sampled and lifted with first-frame depth (AVDC 500)
    jitter_px: float = 0.5  # uniform jitter of the sampled pixels, ± pixels (AVDC ±0.5)
    flow: str = "dis"  # OpenCV flow backend (AVDC: GMFlow, a learned network)
    fb_tol_px: float | None = 1.0  # forward-backward check; None = off (AVDC has no check)
    plan_depth: bool = True  # lift tracked points with the plan's own depth in every frame when it has one (RGB-D
    # plans: the oracle's) and fit 3-D to 3-D; False: first-frame depth and reprojection only (AVDC)
    ransac_m: float = 0.01  # 3-D fits (RGB-D plans): RANSAC inlier distance, metres
    icp_radius_m: float | None = 0.02  # RGB-D plans: after each frame's fit, ICP onto the frame's depth cloud
    # around the object, pairing points this close (agent/planning/icp.py); None: off
    # --- rigid fit
    ransac_px: float = 1.0  # PnP RANSAC inlier threshold, pixels (AVDC 0.5 px on a 2-D similarity model)
    ransac_iters: int = 100  # (AVDC 100)
    motion: str = "yaw"  # frame-to-frame model: translation (3 DoF), rigid (6 DoF, AVDC's) or yaw (RGB-D plans:
    # translation and a turn about the vertical axis, 4 DoF: doors and faucet handles turn on vertical hinges; RGB
    # plans fit it as a translation)
    depth_prior_px_per_m: float = 20.0  # translation model: along-axis motion costs 1 px per point per 5 cm
    static_margin: float = 1.5  # a motion must explain this many times more points than "it stayed put"
    reseed_px: float = 2.0  # a tracked point farther than this from the fitted motion is re-seeded onto it
    min_track_frac: float = 0.1  # stop chaining when fewer tracked points remain (AVDC iTHOR: 10 %)
    object_tracker: str = "dense"  # how object points move frame to frame: dense flow (AVDC) or lk; "truth" reads
    # the object's true poses from an oracle plan (privileged; an ablation of tracking, not a tracker)
    gripper_tracker: str | None = None  # the same for gripper points: lk tracks the gripper and carries lifted
    # objects with it (measured: no gain on oracle plans, BENCHMARKS.md); None: no gripper track (AVDC)
    lk_win_px: int = 21  # Lucas-Kanade window, pixels...
    lk_levels: int = 4  # ...and pyramid levels
    # --- the gripper in the plan (tracked from geometry: first-frame depth near the known fingertip point)
    hand_radius_m: float = 0.06  # gripper pixels: lifted within this of the fingertip point (AVDC: no gripper track)
    surface_z_m: float = 0.0  # work surface height in the world frame (Meta-World's table top)...
    surface_clear_m: float = 0.01  # ...pixels closer than this to it are the table, not the gripper
    surface_gate: bool = True  # RGB-D plans: reject a frame's motion that puts the tracked points (10th
    # percentile) more than surface_clear_m below the work surface (AVDC: no such check)
    occlusion_m: float | None = None  # RGB-D plans: a tracked point whose depth comes nearer than its predicted
    # depth by more than this is occluded (the arm passing in front), left out of the frame's fit; None: off
    verify_m: float | None = None  # RGB-D plans: a frame's motion (and its ICP refinement) must agree with the
    # frame's depth at least as well as staying put does (subgoals.depth_support, points within this); None: off
    # (measured with 0.01 on 102 oracle episodes, seeds 0-3 × 5 replans: 92 successes against 93 without)
    verify_margin: float = 0.1  # ...and a motion the flow test rejected is taken when the depth supports it by
    # this fraction of the points more than staying put
    max_step_m: float | None = 0.15  # RGB-D plans: reject a frame's motion that moves a point farther than this
    # (the expert's largest step between 24 plan frames is 10.6 cm, door-close); None: no limit
    carry_lift_m: float = 0.04  # an object lifted this far off its first-frame height...
    carry_dist_m: float = 0.10  # ...with its contact point this close to the fingertips rides in the hand
    # --- grasp or push
    grasp_dz_m: float = 0.10  # grasp when the subgoals' height range exceeds this (AVDC 0.10 m)
    push_lower_m: float = 0.03  # push: subgoals lowered (AVDC 0.03 m)
    push_behind_m: float = 0.08  # push: start this far behind the object (AVDC 0.08 m)
    push_dir_min_m: float = 0.10  # push direction: to the first subgoal this far away (AVDC 0.1 m)
    # --- controller (Meta-World move(): action = p·error, each axis clipped to ±1 = ±1 cm)
    tool_offset_m: tuple[float, float, float] = (0.0, 0.0, -0.045)  # controlled point = hand + this: the
    # fingertip centre of Meta-World's Sawyer gripper is 4.5 cm below the reported hand position
    gain: float = 20.0  # P gain, action units per metre (AVDC p=20)
    approach_height_m: float = 0.2  # go this far above the grasp point first (AVDC 0.2 m)
    xy_tol_m: float = 0.02  # above the grasp point when the xy error is below this (AVDC 0.02)
    z_tol_m: float = 0.04  # at the grasp point when the z error is below this (AVDC 0.04)
    grip_effort: float = 0.8  # gripper command when closed, -effort when open (AVDC 0.8)
    grasp_lower_m: float = 0.02  # grasp this far below the visible contact point (AVDC: at it)...
    grasp_behind_m: float = 0.02  # ...and this far behind it along the camera ray: the object's middle
    grasp_top_radius_m: float | None = 0.03  # horizontally, grasp over the highest object points within this of
    # the contact point (subgoals.grasp_xy) instead of behind it along the ray; None: along the ray only
    grasp_top_band_m: float = 0.005  # ...the points this close to the highest one
    grasp_z_tol_m: float = 0.01  # grasp mode: descend to within this of the grasp height (AVDC 0.04)...
    blocked_steps: int = 3  # ...or until the hand has stopped for this many steps (fingers on the table)
    close_steps: int = 10  # grasp mode: hold still this many steps while the gripper closes (AVDC: none)
    subgoal_tol_grasp_m: float = 0.04  # (AVDC 0.04 m)
    subgoal_tol_push_m: float = 0.12  # (AVDC 0.12 m)
    # --- replanning
    stall_move_m: float = 0.001  # a step moving the hand less than this counts as stalled (AVDC 1 mm)
    stall_steps: int = 15  # replan after this many stalled steps (AVDC plan_timeout 15)
    stall_consecutive: bool = True  # reset the count when the hand moves (AVDC never resets it)
    replan_on_finish: bool = False  # also ask for a new plan once the last subgoal is reached (AVDC: only on stall)
    holding_opening: float = 0.8  # a replan finds the object held when the gripper opening (state[3]) is below
    holding_dist_m: float = 0.05  # this and the contact point is this close to the fingertips
    held_with_hand: bool = True  # a held object's plan follows the fingertip region (object and fingers, as one
    # body, with the object tracker) even without a gripper_tracker; False: the object's own points (AVDC)

    def __post_init__(self) -> None:
        if self.n_points < 10:
            raise ValueError(f"n_points must be ≥ 10, got {self.n_points}")
        if self.motion not in ("translation", "rigid", "yaw"):
            raise ValueError(f"unknown motion model {self.motion!r}; allowed: translation, rigid, yaw")
        for name, extra in (("object_tracker", ("truth",)), ("gripper_tracker", (None,))):
            if getattr(self, name) not in TRACKERS + extra:
                allowed = ", ".join(str(x) for x in TRACKERS + extra)
                raise ValueError(f"unknown {name} {getattr(self, name)!r}; allowed: {allowed}")
        for name in ("ransac_m", "icp_radius_m", "max_step_m", "occlusion_m", "verify_m", "grasp_top_radius_m",
                     "grasp_top_band_m"):
            value = getattr(self, name)
            if value is not None and not value > 0:
                raise ValueError(f"{name} must be > 0 metres, got {value}")
        if self.stall_steps < 1:
            raise ValueError(f"stall_steps must be ≥ 1, got {self.stall_steps}")

    @classmethod
    def from_overrides(cls, overrides: dict[str, Any]) -> ExecutorConfig:
        """The defaults with ``overrides`` (field name → value) applied, each value validated (and coerced, e.g.
        a list to a tuple) against its field's type. ``ValueError`` names an unknown field or a bad value."""
        hints = get_type_hints(cls)
        unknown = sorted(set(overrides) - {f.name for f in fields(cls)})
        if unknown:
            raise ValueError(f"unknown executor field(s) {', '.join(unknown)}; the fields are in "
                             "agent/planning/config_executor.py")
        values = {}
        for name, value in overrides.items():
            try:
                values[name] = TypeAdapter(hints[name]).validate_python(value)
            except ValidationError as e:
                kind = getattr(hints[name], "__name__", hints[name])
                raise ValueError(f"executor field {name}: {value!r} is not a {kind}: {e.errors()[0]['msg']}") from None
        return cls(**values)
