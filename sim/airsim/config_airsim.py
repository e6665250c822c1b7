"""Typed configuration of the AirSim adapter (``type: airsim`` in mission files).

Import-light on purpose (pydantic only). It extends ``DroneSimConfig``: the simulator fields
(``physics_hz``, ``camera``, ``room``, ``hover_altitude_m``…) describe the loopback server that the
adapter starts when ``spawn_server`` is ``thread`` or ``process``, so a MuJoCo mission flies through
AirSim's API by changing its ``type`` (and saying how to reach a server). Against a real AirSim,
those fields are ignored except ``control_hz`` (the command period), ``hover_altitude_m`` (the
adapter climbs or descends there after take-off) and ``ground_truth_depth``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from plansight.sim.drone.config_drone import DroneSimConfig


class AirSimConfig(DroneSimConfig):
    """A multirotor in AirSim (or a fork, or ``plansight serve-airsim``), driven over msgpack-rpc."""

    type: Literal["airsim"] = "airsim"  # type: ignore[assignment]
    host: str = Field("127.0.0.1", description="AirSim server address (ApiServerAddress)")
    port: int = Field(41451, ge=0, le=65535, description="AirSim server port (ApiServerPort)")
    spawn_server: Literal["none", "thread", "process"] = Field(
        "none", description="none: connect to host:port; thread/process: start a loopback plansight server")
    clock_speed: float | None = Field(
        None, gt=0.0, le=100.0, description="spawned server: sim seconds per wall second (None: as fast as possible)")
    vehicle_name: str = Field("", description="AirSim vehicle; '' is the default vehicle")
    left_camera: str = Field("front_left", description="AirSim camera giving the left (reference) image")
    right_camera: str = Field("front_right", description="AirSim camera giving the right image")
    timeout_s: float = Field(10.0, gt=0.0, le=3600.0, description="per RPC, seconds (manoeuvres add their duration)")
    connect_timeout_s: float = Field(2.0, gt=0.0, le=60.0, description="per connection attempt, seconds")
    reconnect_attempts: int = Field(3, ge=1, le=100, description="connection attempts before a call fails")
    world_origin_m: tuple[float, float, float] | None = Field(
        None, description="mission-world position of AirSim's origin (the start); default: the spawned room's "
                          "start, or (0, 0, 0) against an external server")
