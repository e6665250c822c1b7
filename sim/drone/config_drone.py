"""Typed configuration of the MuJoCo quadrotor simulator (``type: mujoco_drone`` in mission files).

Import-light on purpose (pydantic only): the mission schema imports it without loading MuJoCo.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PositiveFloat, model_validator


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class QuadrotorConfig(_Strict):
    """Airframe of an AR.Drone-2.0-class quadrotor in X configuration.

    Defaults follow published AR.Drone 2.0 identification figures (indoor hull ≈ 0.42 kg,
    Ixx ≈ 2.2e-3, Iyy ≈ 2.9e-3, Izz ≈ 4.8e-3 kg·m²); drag is the linear rotor-drag model used for
    small multirotors (force = −c·v).
    """

    mass_kg: float = Field(0.43, ge=0.1, le=5.0)
    inertia_kgm2: tuple[PositiveFloat, PositiveFloat, PositiveFloat] = (2.2e-3, 2.9e-3, 4.8e-3)
    arm_m: float = Field(0.13, gt=0.02, le=0.5, description="distance from the centre to each rotor")
    max_thrust_per_motor_n: float = Field(2.4, gt=0.0, description="≈ 2.3:1 thrust-to-weight")
    yaw_moment_coeff_m: float = Field(0.016, gt=0.0, description="rotor drag torque / thrust")
    motor_time_constant_s: float = Field(0.02, ge=0.001, le=0.2)
    drag_xy_ns_per_m: float = Field(0.20, ge=0.0, description="linear drag, horizontal, N per m/s")
    drag_z_ns_per_m: float = Field(0.25, ge=0.0, description="linear drag, vertical, N per m/s")
    angular_damping_nms: float = Field(2e-4, ge=0.0, description="rotational damping, N·m per rad/s")


class ControllerConfig(_Strict):
    """Gains and limits of the cascaded controller (velocity → attitude → rates → motor mix)."""

    velocity_gain: float = Field(2.2, gt=0.0, description="horizontal velocity P gain, 1/s")
    velocity_i_gain: float = Field(1.5, ge=0.0, description="horizontal velocity I gain, 1/s²")
    altitude_gain: float = Field(4.0, gt=0.0, description="altitude P gain, 1/s²")
    climb_gain: float = Field(4.0, gt=0.0, description="vertical speed gain, 1/s")
    altitude_i_gain: float = Field(1.0, ge=0.0)
    attitude_gain: float = Field(90.0, gt=0.0, description="attitude P gain, 1/s²")
    rate_gain: float = Field(16.0, gt=0.0, description="body-rate D gain, 1/s")
    yaw_rate_gain: float = Field(8.0, gt=0.0, description="yaw-rate P gain, 1/s")
    max_tilt_deg: float = Field(20.0, gt=1.0, le=45.0)


class StereoRigConfig(_Strict):
    """Forward-looking rectified stereo pair on the body x axis."""

    width: int = Field(128, ge=16, le=1280)
    height: int = Field(96, ge=12, le=960)
    fovy_deg: float = Field(60.0, gt=10.0, lt=150.0)
    baseline_m: float = Field(0.10, gt=0.01, le=0.5)
    forward_offset_m: float = Field(0.12, ge=0.0, le=0.5, description="camera ahead of the centre")


RoomLevel = Literal["easy", "default", "dense", "maze"]
LandmarkName = Literal["magenta_panel", "yellow_panel", "cyan_panel", "magenta_box", "yellow_box", "cyan_box"]
"""The visual goals a room can hold (``sim/drone/landmarks.py``): ``<colour>_<kind>``."""

ROOM_LEVELS: dict[str, dict[str, object]] = {
    "easy": {"n_poles": 2, "n_boxes": 0, "min_gap_m": 1.2, "pole_radius_m": (0.08, 0.12)},
    "default": {"n_poles": 4, "n_boxes": 1, "min_gap_m": 0.8, "pole_radius_m": (0.08, 0.15),
                "box_half_size_m": (0.15, 0.30)},
    "dense": {"n_poles": 10, "n_boxes": 2, "min_gap_m": 0.5, "pole_radius_m": (0.10, 0.18),
              "box_half_size_m": (0.15, 0.30)},
    "maze": {"n_poles": 6, "n_boxes": 4, "min_gap_m": 0.55, "pole_radius_m": (0.10, 0.18),
             "box_half_size_m": (0.10, 0.45)},
}
"""Each difficulty level's obstacle fields (see ``RoomConfig``); the other fields keep their defaults."""


class RoomConfig(_Strict):
    """Seeded cluttered room: textured walls, floor and ceiling, poles and boxes inside.

    The default is the 5 × 5 m arena of van Hecke et al.'s persistent-SSL experiments.

    ``level`` picks a difficulty preset for the obstacle fields; any field given explicitly overrides
    the level's value. With no level the fields keep their defaults, which are the ``default`` level
    (so existing seeds give the same layouts). The levels, in a 5 × 5 m room (radii and half sizes in
    metres, gaps are free space between obstacles and from the walls, metres):

    * ``easy``: 2 poles (radius 0.08–0.12), no box, gaps ≥ 1.2 m.
    * ``default``: 4 poles (radius 0.08–0.15), 1 box (half sides 0.15–0.30), gaps ≥ 0.8 m.
    * ``dense``: 10 poles (radius 0.10–0.18), 2 boxes (half sides 0.15–0.30), gaps ≥ 0.5 m: the
      airframe (≈ 0.41 m across the rotors) fits through every gap, with little to spare.
    * ``maze``: 6 poles (radius 0.10–0.18), 4 boxes (half sides 0.10–0.45 each, so some are wall
      segments up to 0.9 m long), gaps ≥ 0.55 m.

    Every level keeps the start clearance (1 m of free space around the take-off point by default).
    """

    level: RoomLevel | None = Field(None, description="difficulty preset: easy, default, dense or maze")
    size_m: tuple[float, float] = (5.0, 5.0)
    height_m: float = Field(2.6, ge=1.5, le=10.0)
    n_poles: int = Field(4, ge=0, le=40)
    n_boxes: int = Field(1, ge=0, le=40)
    pole_radius_m: tuple[float, float] = (0.08, 0.15)
    box_half_size_m: tuple[float, float] = (0.15, 0.30)
    min_gap_m: float = Field(0.8, ge=0.3, description="free space between any two obstacles or walls")
    start_clearance_m: float = Field(1.0, ge=0.3, description="no obstacle this close to the start")
    layout_seed: int | None = Field(None, description="fixed layout; by default the reset seed picks it")
    landmarks: tuple[LandmarkName, ...] = Field(
        (), description="visual goals to place (a mission's task names one): panels on the walls, marked boxes")
    landmark_height_m: float = Field(1.0, ge=0.3, le=3.0, description="height of a panel's centre")

    @model_validator(mode="before")
    @classmethod
    def _apply_level(cls, data: object) -> object:
        if isinstance(data, dict) and data.get("level") in ROOM_LEVELS:
            data = {**ROOM_LEVELS[data["level"]], **data}
        return data

    @model_validator(mode="after")
    def _check(self) -> RoomConfig:
        if min(self.size_m) < 2.0 or max(self.size_m) > 50.0:
            raise ValueError("size_m must be between 2 and 50 m per side")
        colours = [n.split("_")[0] for n in self.landmarks]
        if len(set(colours)) != len(colours):
            raise ValueError("landmarks must differ in colour (the colour is how a camera tells them apart)")
        for name in ("pole_radius_m", "box_half_size_m"):
            lo, hi = getattr(self, name)
            if not 0.0 < lo <= hi:
                raise ValueError(f"{name} must be (low, high) with 0 < low <= high")
        return self


class DroneSimConfig(_Strict):
    """The MuJoCo quadrotor simulator with a stereo pair."""

    @property
    def camera_names(self) -> tuple[str, ...]:
        """The cameras the embodiment will have: the stereo pair (``model.LEFT_CAMERA``, ``model.RIGHT_CAMERA``)."""
        return ("left", "right")

    @property
    def landmark_names(self) -> tuple[str, ...]:
        """The visual goals the room will hold (a mission's ``task.goal`` must be one of them)."""
        return self.room.landmarks

    type: Literal["mujoco_drone"] = "mujoco_drone"
    physics_hz: int = Field(400, ge=200, le=2000)
    control_hz: int = Field(50, ge=30, le=50)
    render: bool = Field(True, description="False: physics only, no GL context and no images")
    ground_truth_depth: bool = Field(True, description="render left-camera depth for evaluation")
    hover_altitude_m: float = Field(1.0, ge=0.3, le=3.0)
    takeoff_speed_mps: float = Field(0.6, gt=0.0, le=2.0)
    landing_speed_mps: float = Field(0.4, gt=0.0, le=1.0)
    crash_speed_mps: float = Field(1.0, gt=0.0, description="floor impacts faster than this count as crashes")
    quad: QuadrotorConfig = QuadrotorConfig()
    controller: ControllerConfig = ControllerConfig()
    camera: StereoRigConfig = StereoRigConfig()
    room: RoomConfig = RoomConfig()

    @model_validator(mode="after")
    def _check_rates(self) -> DroneSimConfig:
        if self.physics_hz % self.control_hz:
            raise ValueError(f"physics_hz ({self.physics_hz}) must be a multiple of control_hz ({self.control_hz})")
        return self
