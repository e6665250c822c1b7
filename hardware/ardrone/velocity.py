"""Body-velocity commands → AR.Drone PCMD fractions.

The drone's PCMD roll/pitch are tilt references, not speeds (ardrone2_protocol.md §3.2), so body
velocity is closed here on the navdata velocity estimate: tilt = ff·v_cmd + kp·e + ki·∫e, then
divided by ``euler_angle_max``. Climb rate and yaw rate map directly: gaz = vz / control_vz_max,
yaw = −yaw_rate / control_yaw (our yaw rate is counter-clockwise positive, the drone's clockwise).
Forward tilt is negative PCMD pitch; tilting left (towards +y in FLU) is negative PCMD roll.
"""

from __future__ import annotations

import math

from plansight.agent.contracts import DroneCommand
from plansight.hardware.ardrone.config_ardrone import FirmwareLimits, VelocityLoopConfig
from plansight.hardware.ardrone.link import HOVER, Pcmd


def _clip(x: float, lim: float) -> float:
    """``x`` limited to ±``lim``; NaN gives 0 (no tilt), never a limit (``max``/``min`` would return one)."""
    if math.isnan(x):
        return 0.0
    return max(-lim, min(lim, x))


class VelocityToPcmd:
    """PI velocity loop with drag feed-forward, one instance per flight."""

    def __init__(self, cfg: VelocityLoopConfig, limits: FirmwareLimits) -> None:
        self.cfg, self.limits = cfg, limits
        self._ix = self._iy = 0.0

    def reset(self) -> None:
        self._ix = self._iy = 0.0

    def __call__(self, cmd: DroneCommand, v_body: tuple[float, float] | None, dt: float) -> Pcmd:
        """``cmd`` in FLU m/s and rad/s; ``v_body`` the measured (forward, left) velocity, m/s, or None
        without navdata (then feed-forward only). Returns hover for an all-zero command."""
        if cmd.vx == 0.0 and cmd.vy == 0.0 and cmd.vz == 0.0 and cmd.yaw_rate == 0.0:
            self.reset()
            return HOVER
        c = self.cfg
        tilt_x = c.feedforward_rad_per_mps * cmd.vx
        tilt_y = c.feedforward_rad_per_mps * cmd.vy
        if v_body is not None and all(math.isfinite(v) for v in v_body):  # a NaN estimate: feed-forward only
            ex, ey = cmd.vx - v_body[0], cmd.vy - v_body[1]
            self._ix = _clip(self._ix + c.ki_rad_per_m * ex * dt, c.integral_limit_rad)
            self._iy = _clip(self._iy + c.ki_rad_per_m * ey * dt, c.integral_limit_rad)
            tilt_x += c.kp_rad_per_mps * ex + self._ix
            tilt_y += c.kp_rad_per_mps * ey + self._iy
        lim = self.limits
        return Pcmd(progressive=True,
                    roll=_clip(-tilt_y / lim.euler_angle_max_rad, 1.0),
                    pitch=_clip(-tilt_x / lim.euler_angle_max_rad, 1.0),
                    gaz=_clip(cmd.vz / lim.control_vz_max_mps, 1.0),
                    yaw=_clip(-cmd.yaw_rate / lim.control_yaw_rad_s, 1.0))
