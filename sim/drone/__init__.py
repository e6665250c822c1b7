"""MuJoCo quadrotor simulator: airframe, cascaded controller, stereo cameras, seeded rooms."""

import gymnasium

from plansight.sim.drone.config_drone import DroneSimConfig

gymnasium.register(id="plansight/DroneRoom-v0", entry_point="plansight.sim.drone.env:DroneRoomEnv",
                   max_episode_steps=1500)

__all__ = ["DroneSimConfig"]
