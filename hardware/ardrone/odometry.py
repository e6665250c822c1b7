"""Dead reckoning from demo navdata: the pose the mission sees on a real AR.Drone.

Position integrates the body velocity estimate (navdata vx, vy, FRD → FLU) rotated by the heading;
altitude comes straight from the ultrasound altitude; attitude from θ/φ/ψ (FRD → FLU signs).
Heading is relative to the heading at ``reset``, offset by the configured start yaw, because the
drone's ψ is magnetometer-referenced.
"""

from __future__ import annotations

import math
import threading

import numpy as np

from plansight.agent.contracts import DroneState
from plansight.hardware.ardrone import navdata as nd

_MAX_GAP_S = 0.5  # longer navdata gaps are not integrated across (the velocity is unknown there)


class NavdataOdometry:
    """Thread-safe: ``update`` runs in the navdata thread, ``state`` in the agent's."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset((0.0, 0.0), 0.0)

    def reset(self, xy: tuple[float, float], yaw: float) -> None:
        with self._lock:
            self._xy = np.array(xy, float)
            self._yaw0 = yaw
            self._psi0: float | None = None
            self._last_t: float | None = None
            self._demo: nd.Demo | None = None
            self._airborne = False

    def update(self, nav: nd.Navdata, t: float) -> None:
        demo = nav.demo
        if demo is None:
            return
        with self._lock:
            if self._psi0 is None:
                self._psi0 = -demo.yaw
            if self._last_t is not None and self._demo is not None and 0.0 < t - self._last_t < _MAX_GAP_S:
                yaw = self._yaw(self._demo)
                vf, vl = self._demo.vx, -self._demo.vy
                dt = t - self._last_t
                self._xy += dt * np.array([math.cos(yaw) * vf - math.sin(yaw) * vl,
                                           math.sin(yaw) * vf + math.cos(yaw) * vl])
            self._last_t, self._demo = t, demo
            self._airborne = bool(nav.state & nd.STATE_FLY)

    def _yaw(self, demo: nd.Demo) -> float:
        yaw = self._yaw0 + (-demo.yaw - (self._psi0 or 0.0))
        return math.atan2(math.sin(yaw), math.cos(yaw))

    def velocity_body(self) -> tuple[float, float] | None:
        """(forward, left) m/s from the newest packet, or None before the first one."""
        with self._lock:
            d = self._demo
            return None if d is None else (d.vx, -d.vy)

    def state(self) -> DroneState:
        with self._lock:
            d = self._demo
            if d is None:
                return DroneState(np.array([*self._xy, 0.0]), np.zeros(3), np.array([0.0, 0.0, self._yaw0]),
                                  np.zeros(3), 0.0)
            yaw = self._yaw(d)
            vf, vl = d.vx, -d.vy
            vel = np.array([math.cos(yaw) * vf - math.sin(yaw) * vl, math.sin(yaw) * vf + math.cos(yaw) * vl, -d.vz])
            return DroneState(np.array([*self._xy, d.altitude_m]), vel, np.array([d.roll, -d.pitch, yaw]),
                              np.zeros(3), 1.0 if self._airborne else 0.0)
