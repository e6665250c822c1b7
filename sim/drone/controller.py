"""Cascaded quadrotor controller: body velocity + yaw rate → tilt → body torques → four rotor thrusts.

Loops (all run at the physics rate, written in plain Python floats because numpy's per-call
overhead dominates at 3-vectors):

1. **Velocity / altitude** (outer): the commanded body-frame horizontal velocity is rotated into
   the heading frame and tracked with PI control; vertical speed is integrated into an altitude
   reference that is held with PID, so ``vz = 0`` holds altitude without drift.
2. **Attitude**: desired acceleration → desired roll/pitch (limited to ``max_tilt_deg``) and a
   collective thrust compensated for tilt; PD on the Euler angles gives angular acceleration.
3. **Rates**: yaw rate tracked with P control; torques = inertia × angular acceleration.
4. **Mixer**: ``f = A⁻¹ [T, τx, τy, τz]`` with rows ``[1…1; yᵢ; −xᵢ; kᵢ]``, clipped to the motor
   range (reference: drone_simulation.md §1.1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from plansight.sim.drone.config_drone import ControllerConfig, QuadrotorConfig
from plansight.sim.drone.model import ROTOR_SPIN, rotor_positions

GRAVITY = 9.81


@dataclass
class Setpoint:
    """What the outer loop tracks. Velocities in the body frame (FLU), m/s; yaw rate rad/s.

    ``roll``/``pitch`` (rad, FLU: roll + = right side down, pitch + = nose down), when given,
    replace the horizontal velocity loop by an attitude reference, the way an AR.Drone's firmware
    reads PCMD; ``vx``/``vy`` are then ignored. Both are clipped to ``max_tilt_deg``.
    """

    vx: float = 0.0
    vy: float = 0.0
    vz: float = 0.0
    yaw_rate: float = 0.0
    roll: float | None = None
    pitch: float | None = None


class CascadedController:
    """Computes four rotor thrusts (N) from a setpoint and the vehicle state.

    Call ``reset(altitude)`` when the vehicle is placed, ``set_setpoint`` at the command rate and
    ``thrusts`` every physics step.
    """

    def __init__(self, quad: QuadrotorConfig, gains: ControllerConfig, dt: float) -> None:
        self.quad = quad
        self.g = gains
        self.dt = dt
        rotors = rotor_positions(quad.arm_m)
        A = np.vstack([np.ones(4), rotors[:, 1], -rotors[:, 0],
                       quad.yaw_moment_coeff_m * np.asarray(ROTOR_SPIN, dtype=float)])
        self._mix = np.linalg.inv(A).tolist()
        self._max_tilt = math.radians(gains.max_tilt_deg)
        self.setpoint = Setpoint()
        self.reset(0.0)

    def reset(self, altitude: float) -> None:
        """Clear integrators; hold ``altitude`` (metres, world z)."""
        self.z_ref = altitude
        self._ivx = self._ivy = self._iz = 0.0

    def set_setpoint(self, sp: Setpoint) -> None:
        self.setpoint = sp

    def thrusts(self, pos: np.ndarray, vel: np.ndarray, rpy: tuple[float, float, float],
                rates: np.ndarray) -> list[float]:
        """Rotor thrusts in newtons, each in ``[0, max_thrust_per_motor_n]``.

        Args:
            pos: (3,) world position, m. vel: (3,) world velocity, m/s.
            rpy: roll, pitch, yaw, rad. rates: (3,) body angular velocity, rad/s.
        """
        g, q, dt, sp = self.g, self.quad, self.dt, self.setpoint
        roll, pitch, yaw = rpy
        cy, sy = math.cos(yaw), math.sin(yaw)
        # world velocity in the heading frame (yaw-only rotation)
        vhx = cy * vel[0] + sy * vel[1]
        vhy = -sy * vel[0] + cy * vel[1]
        ex, ey = sp.vx - vhx, sp.vy - vhy
        self._ivx = _clip(self._ivx + ex * dt, 2.0)
        self._ivy = _clip(self._ivy + ey * dt, 2.0)
        ax = g.velocity_gain * ex + g.velocity_i_gain * self._ivx
        ay = g.velocity_gain * ey + g.velocity_i_gain * self._ivy

        self.z_ref += sp.vz * dt
        ez = self.z_ref - pos[2]
        self._iz = _clip(self._iz + ez * dt, 1.0)
        az = g.altitude_gain * ez + g.climb_gain * (sp.vz - vel[2]) + g.altitude_i_gain * self._iz
        az = max(az, -0.7 * GRAVITY)

        # desired tilt in the heading frame: thrust direction ∝ (ax, ay, g + az)
        fz = GRAVITY + az
        if sp.roll is not None and sp.pitch is not None:  # attitude mode: no velocity loop
            self._ivx = self._ivy = 0.0
            pitch_d = _clip(sp.pitch, self._max_tilt)
            roll_d = _clip(sp.roll, self._max_tilt)
        else:
            pitch_d = _clip(math.atan2(ax, fz), self._max_tilt)
            roll_d = _clip(math.atan2(-ay * math.cos(pitch_d), fz), self._max_tilt)
        tilt_cos = max(math.cos(roll) * math.cos(pitch), 0.5)
        collective = q.mass_kg * fz / tilt_cos

        ixx, iyy, izz = q.inertia_kgm2
        tau_x = ixx * (g.attitude_gain * (roll_d - roll) - g.rate_gain * rates[0])
        tau_y = iyy * (g.attitude_gain * (pitch_d - pitch) - g.rate_gain * rates[1])
        tau_z = izz * g.yaw_rate_gain * (sp.yaw_rate - rates[2])

        wrench = (collective, tau_x, tau_y, tau_z)
        tmax = q.max_thrust_per_motor_n
        out = []
        for row in self._mix:
            f = row[0] * wrench[0] + row[1] * wrench[1] + row[2] * wrench[2] + row[3] * wrench[3]
            out.append(min(max(f, 0.0), tmax))
        return out


def _clip(x: float, limit: float) -> float:
    return -limit if x < -limit else (limit if x > limit else x)
