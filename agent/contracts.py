"""The shared vocabulary of plansight: the only module imported across packages.

Everything here is a small frozen dataclass or a ``typing.Protocol``; it depends on numpy and the
standard library only, so every package (agent, sim, hardware, launch) can import it.

Frames and units used throughout:

* **World frame** (``W``): right-handed, z up, metres. Simulators define its origin; hardware uses the
  take-off point. Yaw is the rotation about world +z, counter-clockwise positive, in radians.
* **Body frame** (``B``, FLU): origin at the centre of mass, x forward, y left, z up.
* **Camera frame** (``C``, OpenCV): x right, y down, z along the optical axis. Images are indexed
  ``[row, col]`` with row 0 at the top.
* Time ``t`` is in seconds since the last ``reset`` (simulated time in simulators, monotonic wall
  clock on hardware).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np

# --------------------------------------------------------------------------------------------------
# Cameras and observations
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CameraModel:
    """A pinhole camera with no distortion (rectified).

    Attributes:
        name: camera name, the key of its image in ``Observation.images``.
        width, height: image size in pixels.
        fx, fy: focal lengths in pixels.
        cx, cy: principal point in pixels (column, row).
        T_body_cam: 4×4 float64 transform taking points in the camera frame (OpenCV convention) to
            the body frame, metres.
        baseline_m: for the reference (left) camera of a rectified stereo pair, the distance in
            metres to its partner along camera +x; ``None`` for monocular cameras.
        stereo_partner: name of the right camera of the pair, or ``None``.
    """

    name: str
    width: int
    height: int
    fx: float
    fy: float
    cx: float
    cy: float
    T_body_cam: np.ndarray = field(default_factory=lambda: np.eye(4))
    baseline_m: float | None = None
    stereo_partner: str | None = None

    @classmethod
    def from_fovy(cls, name: str, width: int, height: int, fovy_deg: float, **kwargs: Any) -> CameraModel:
        """Square-pixel camera from a vertical field of view in degrees (MuJoCo's convention)."""
        f = (height / 2.0) / math.tan(math.radians(fovy_deg) / 2.0)
        return cls(name=name, width=width, height=height, fx=f, fy=f, cx=(width - 1) / 2.0,
                   cy=(height - 1) / 2.0, **kwargs)

    def resized(self, width: int, height: int) -> CameraModel:
        """The same camera seen in its image resized to ``width``×``height`` pixels (pixel centres kept: a pixel
        ``u`` maps to ``(u + 0.5)·s − 0.5``); the name, mounting and stereo pairing unchanged."""
        sx, sy = width / self.width, height / self.height
        return dataclasses.replace(self, width=width, height=height, fx=self.fx * sx, fy=self.fy * sy,
                                   cx=(self.cx + 0.5) * sx - 0.5, cy=(self.cy + 0.5) * sy - 0.5)

    @staticmethod
    def forward_pose(x: float, y: float, z: float) -> np.ndarray:
        """``T_body_cam`` of a camera looking along body +x (image right = body −y, image down =
        body −z) mounted at (x, y, z) metres in the body frame (FLU)."""
        T = np.eye(4)
        T[:3, :3] = [[0.0, 0.0, 1.0], [-1.0, 0.0, 0.0], [0.0, -1.0, 0.0]]  # columns: camera x, y, z in body
        T[:3, 3] = (x, y, z)
        return T

    @property
    def K(self) -> np.ndarray:
        """3×3 float64 intrinsic matrix."""
        return np.array([[self.fx, 0.0, self.cx], [0.0, self.fy, self.cy], [0.0, 0.0, 1.0]])

    @property
    def hfov_rad(self) -> float:
        """Horizontal field of view in radians."""
        return 2.0 * math.atan(self.width / (2.0 * self.fx))


@dataclass(frozen=True)
class Event:
    """Something that happened, for the run's ``events.jsonl``.

    Attributes:
        t: time in seconds (the embodiment's clock).
        kind: a short snake_case name, e.g. ``takeoff``, ``landed``, ``collision``, ``safety_clip``.
        data: JSON-serialisable details.
    """

    t: float
    kind: str
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Observation:
    """One observation from an embodiment.

    Attributes:
        t: seconds since reset.
        images: camera name → H×W×3 uint8 RGB image.
        state: 1-D float64 state vector; flyers use the ``DroneState`` layout.
        depth: camera name → H×W float32 ground-truth depth in metres, measured along the optical
            axis (planar z-depth). Simulators only, and for evaluation only: no drone policy may read it. Arm
            planners and executors that declare it as a privileged input may read the observed frame's depth, as
            AVDC's executor does (the RGB-D video planner is conditioned on it; its plans' future depth is its own).
        events: events that happened since the previous observation, oldest first.
        info: backend-specific extras (JSON-serialisable), e.g. the room map at reset.
        masks: camera name → H×W bool segmentation of the task's object (simulators; privileged, like
            ``depth``). Executors that declare privileged inputs (the AVDC video→action executor lifts
            mask pixels with ``depth``, as AVDC does) may read both.
    """

    t: float
    images: Mapping[str, np.ndarray]
    state: np.ndarray
    depth: Mapping[str, np.ndarray] = field(default_factory=dict)
    events: Sequence[Event] = ()
    info: Mapping[str, Any] = field(default_factory=dict)
    masks: Mapping[str, np.ndarray] = field(default_factory=dict)


@dataclass(frozen=True)
class DroneState:
    """Kinematic state of a flyer, packed into ``Observation.state`` with ``to_vector``.

    Attributes:
        position: (3,) world-frame position of the centre of mass, metres.
        velocity: (3,) world-frame linear velocity, m/s.
        rpy: (3,) roll, pitch, yaw in radians (intrinsic Z-Y-X: R = Rz(yaw)·Ry(pitch)·Rx(roll)).
        body_rates: (3,) angular velocity in the body frame, rad/s.
        airborne: 1.0 while flying, 0.0 on the ground or disarmed.
    """

    position: np.ndarray
    velocity: np.ndarray
    rpy: np.ndarray
    body_rates: np.ndarray
    airborne: float = 0.0

    SIZE: ClassVar[int] = 13

    def to_vector(self) -> np.ndarray:
        """(13,) float64: position, velocity, rpy, body_rates, airborne."""
        return np.concatenate([self.position, self.velocity, self.rpy, self.body_rates,
                               [self.airborne]]).astype(np.float64)

    @classmethod
    def from_vector(cls, v: np.ndarray) -> DroneState:
        """Inverse of ``to_vector``; raises ``ValueError`` on a vector of the wrong size."""
        v = np.asarray(v, dtype=np.float64)
        if v.shape != (cls.SIZE,):
            raise ValueError(f"DroneState vector must have shape ({cls.SIZE},), got {v.shape}")
        return cls(v[0:3].copy(), v[3:6].copy(), v[6:9].copy(), v[9:12].copy(), float(v[12]))

    @property
    def yaw(self) -> float:
        return float(self.rpy[2])


# --------------------------------------------------------------------------------------------------
# Commands
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DroneCommand:
    """Velocity command for a flyer, in the body frame (FLU), held for one control period.

    Attributes:
        vx: forward speed, m/s.
        vy: leftward speed, m/s.
        vz: upward speed, m/s.
        yaw_rate: counter-clockwise yaw rate seen from above, rad/s.
    """

    vx: float = 0.0
    vy: float = 0.0
    vz: float = 0.0
    yaw_rate: float = 0.0

    @classmethod
    def hover(cls) -> DroneCommand:
        return cls()

    def is_finite(self) -> bool:
        return all(math.isfinite(x) for x in (self.vx, self.vy, self.vz, self.yaw_rate))

    def as_array(self) -> np.ndarray:
        """(4,) float64: vx, vy, vz, yaw_rate."""
        return np.array([self.vx, self.vy, self.vz, self.yaw_rate], dtype=np.float64)


@dataclass(frozen=True)
class ArmCommand:
    """End-effector command for an arm, held for one control period.

    Attributes:
        dxyz: (3,) end-effector displacement in the arm's world frame, metres (Meta-World scales
            its action by its own ``action_scale``; the adapter converts).
        gripper: -1 fully open … +1 fully closed.
    """

    dxyz: tuple[float, float, float] = (0.0, 0.0, 0.0)
    gripper: float = -1.0

    def is_finite(self) -> bool:
        return all(math.isfinite(x) for x in (*self.dxyz, self.gripper))


# --------------------------------------------------------------------------------------------------
# Perception and planning products
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DepthEstimate:
    """A depth map for one camera.

    Attributes:
        camera: name of the camera the map is aligned with.
        depth: H×W float32 planar depth in metres; undefined (any value) where ``valid`` is False.
        valid: H×W bool mask of pixels with a trusted estimate.
        variance: optional H×W float32 per-pixel variance in m² (learned estimators).
        source: what produced it, e.g. ``stereo_sgbm``.
    """

    camera: str
    depth: np.ndarray
    valid: np.ndarray
    variance: np.ndarray | None = None
    source: str = ""


@dataclass(frozen=True)
class VideoPlan:
    """An imagined future for a task, as frames from one camera.

    Attributes:
        frames: T×H×W×3 uint8 RGB; frame 0 is the observed frame the plan was conditioned on.
        camera: camera name.
        task: task name.
        score: critic score (higher is better), if judged.
        object_poses: T×4×4 world poses of the task object at each frame (metres); privileged, set only by
            simulator oracles, for ablations that bypass visual tracking
            (``ExecutorConfig.tracking.object_tracker="truth"``). In a drone plan the thing that moves is the
            camera: the body's world pose (FLU, metres) at each frame, used to score ego-motion estimates.
        depth: T×H×W float32 planar depth of each frame, metres (an RGB-D plan), or ``None`` for RGB plans. The
            oracle renders it; a video model would predict it as a fourth channel. The executor lifts tracked
            pixels with it in every frame (``ExecutorConfig.fit.plan_depth``), where RGB alone leaves motion along
            the camera ray nearly unobservable.
    """

    frames: np.ndarray
    camera: str
    task: str
    score: float | None = None
    object_poses: np.ndarray | None = None
    depth: np.ndarray | None = None


# --------------------------------------------------------------------------------------------------
# Protocols
# --------------------------------------------------------------------------------------------------


@runtime_checkable
class Embodiment(Protocol):
    """Anything that can be observed and commanded: a simulator, a remote simulator or a robot.

    ``act`` applies a command for one control period ``dt`` and returns when that period is over
    (simulated time for simulators, wall clock for hardware). It returns the command actually
    applied, after any clipping by the embodiment.
    """

    @property
    def cameras(self) -> Mapping[str, CameraModel]: ...

    @property
    def dt(self) -> float:
        """Control period in seconds."""
        ...

    def reset(self, seed: int | None = None) -> Observation: ...

    def observe(self) -> Observation: ...

    def act(self, command: Any) -> Any: ...

    def close(self) -> None: ...


@runtime_checkable
class Flyer(Embodiment, Protocol):
    """An embodiment that flies. ``takeoff`` and ``land`` block until done and return success."""

    def takeoff(self) -> bool: ...

    def land(self) -> bool: ...

    def emergency(self) -> None:
        """Cut the motors now. The vehicle falls; use only when flying on is worse."""
        ...


@runtime_checkable
class DepthEstimator(Protocol):
    """Produces metric depth for one camera from an observation."""

    camera: str

    def estimate(self, obs: Observation) -> DepthEstimate: ...


@runtime_checkable
class DronePolicy(Protocol):
    """Turns an observation and a depth estimate into a velocity command."""

    def reset(self) -> None: ...

    def act(self, obs: Observation, depth: DepthEstimate) -> DroneCommand: ...


@runtime_checkable
class Arm(Embodiment, Protocol):
    """A manipulator embodiment with a task, an episode budget and the task's success flag (Meta-World).

    ``observe(cameras, depth, masks)`` renders only what is asked: ``cameras=()`` gives a state-only observation
    (no rendering), ``None`` the configured cameras. ``step_count`` is 0 before the first ``reset``.
    """

    @property
    def task(self) -> str: ...

    @property
    def step_count(self) -> int:
        """Control steps since ``reset``."""
        ...

    @property
    def max_steps(self) -> int:
        """The episode budget in control steps."""
        ...

    @property
    def success(self) -> bool:
        """Whether the task's success condition held after the last step."""
        ...

    def observe(self, cameras: Sequence[str] | None = None, depth: bool = True,
                masks: bool = True) -> Observation: ...


@runtime_checkable
class VideoPlanner(Protocol):
    """Imagines ``n`` candidate futures of ``task`` from the current observation.

    ``timings``: wall-clock seconds by stage (e.g. ``oracle_sim``, ``oracle_render``), summed over this
    planner's plans; empty when it keeps none.
    """

    @property
    def timings(self) -> Mapping[str, float]: ...

    def plan(self, obs: Observation, task: str, camera: str, n: int = 1,
             seed: int | None = None) -> list[VideoPlan]: ...


@dataclass(frozen=True)
class PlanTrace:
    """What an executor made of its current plan, for overlays and reports (pixels of the plan's camera).

    Attributes:
        plan: the plan being executed.
        points_uv: T×N×2 float64 (u, v) pixels of the tracked object points in each plan frame (frame-0 points
            moved by the fitted motion); N may be 0.
        subgoals_uv: K×2 float64 pixels of the end-effector subgoals, projected into the plan's camera.
        goal_index: index of the subgoal being approached (K when all are reached).
        mode: ``grasp`` or ``push``.
        phase: the controller's phase (``approach``, ``descend``, ``close``, ``follow``).
    """

    plan: VideoPlan
    points_uv: np.ndarray
    subgoals_uv: np.ndarray
    goal_index: int
    mode: str
    phase: str


@runtime_checkable
class PlanExecutor(Protocol):
    """Turns a video plan into arm commands, step by step.

    ``act`` returns ``None`` when the executor needs a new plan (plan finished or hand stalled) and
    ``may_replan`` is True; with ``may_replan`` False it keeps following the current plan. ``hold()`` is the
    command that keeps the current grip and does not move. ``reads_plan_depth``: whether it uses
    ``VideoPlan.depth`` (planners that render depth skip it otherwise). ``timings``: seconds by stage
    (``flow``, ``fit``) summed over plans. ``drain_events`` returns what happened since the last call
    (``grasp``, ``release``, ``stall``, ``finished``), oldest first. ``trace()`` is the current plan as the
    executor sees it, or ``None`` before the first plan.
    """

    may_replan: bool

    @property
    def reads_plan_depth(self) -> bool: ...

    @property
    def timings(self) -> Mapping[str, float]: ...

    def reset(self, plan: VideoPlan, obs: Observation) -> None: ...

    def act(self, obs: Observation) -> ArmCommand | None: ...

    def hold(self) -> ArmCommand: ...

    def drain_events(self) -> list[Event]: ...

    def trace(self) -> PlanTrace | None: ...


@runtime_checkable
class ArmPolicy(Protocol):
    """Maps observations straight to arm commands (no video plan): scripted experts, learned policies.

    ``reset`` is called once per episode with the first observation, the task and the camera it watches.
    A policy may have an ``image_every`` attribute (int, default 1): the runner then renders the camera only every
    that many steps and passes a state-only ``Observation`` (no images) in between.
    """

    def reset(self, obs: Observation, task: str, camera: str) -> None: ...

    def act(self, obs: Observation) -> ArmCommand: ...


@runtime_checkable
class DroneVideoPlanner(Protocol):
    """Imagines the flight ahead towards a goal: frames ``frame_dt_s`` apart from the current view, seen by
    ``camera`` (whose intrinsics and mounting the executor reads the plan with). ``plan`` (from the observation and
    the mission's current depth estimate, which a learned RGB-D model takes as its condition) returns None when it
    cannot plan (no path, no goal). ``timings``: wall-clock seconds by stage, summed over its plans."""

    frame_dt_s: float
    camera: CameraModel

    @property
    def timings(self) -> Mapping[str, float]: ...

    def set_goal(self, goal: Goal) -> None: ...

    def plan(self, obs: Observation, depth: DepthEstimate | None = None) -> VideoPlan | None: ...


@dataclass(frozen=True)
class Goal:
    """The visual goal of a drone mission: a landmark in the room (``task.goal`` in the mission file).

    Attributes:
        name: the landmark's name, ``<colour>_<kind>`` (e.g. ``magenta_panel``).
        centre: (3,) float64, the landmark's centre, world metres (z up).
        approach: (3,) float64, where to hover to reach it (free space in front of it), world metres.
        colour: its RGB in [0, 1]: the cue an image-based policy looks for.
        radius_m: success when the vehicle's centre comes this close to the landmark's surface, metres.
        room: the room layout as plain data (``RoomLayout.to_dict``: walls, obstacles, landmarks, start) for
            privileged planners, or None where it is not known (a real drone).
    """

    name: str
    centre: np.ndarray
    approach: np.ndarray
    colour: tuple[float, float, float]
    radius_m: float
    room: Mapping[str, Any] | None = None


@runtime_checkable
class GoalSeeker(Protocol):
    """A drone policy that flies to a goal: the runner calls ``set_goal`` after ``reset`` when the mission has a
    task. ``overrides`` counts the control steps on which the reactive safety layer replaced its command."""

    overrides: int

    def set_goal(self, goal: Goal) -> None: ...


@runtime_checkable
class RunParticipant(Protocol):
    """A part (perception, policy) that keeps state across a mission run.

    The runner calls ``start_run`` once the run folder exists, ``drain_events`` every step (events go
    to ``events.jsonl``) and ``finish_run`` at the end, which returns ``{"metrics": {...}, "files":
    {label: filename}}`` to merge into ``metrics.json`` and the report.
    """

    def start_run(self, run_dir: Path) -> None: ...

    def drain_events(self) -> list[Event]: ...

    def finish_run(self, run_dir: Path) -> dict[str, Any]: ...
