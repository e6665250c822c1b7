"""Safety envelope at the embodiment boundary: NaN guard, speed limits and a geofence.

``SafetyEnvelope.filter`` is a pure function of (command, state). ``SafeFlyer`` wraps any ``Flyer``
so that every command reaching it has passed the envelope; interventions come back as events on
the next observation.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from plansight.agent.contracts import CameraModel, DroneCommand, DroneState, Event, Flyer, Observation

log = logging.getLogger(__name__)


class SafetyConfig(BaseModel):
    """Limits applied to every drone command.

    Speeds are in the body frame (m/s, rad/s). The geofence is an axis-aligned box in the world
    frame (metres); within ``margin_m`` of a face, velocity towards that face is removed, and
    outside the box the command flies straight back in at ``return_speed_mps``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_speed_xy_mps: float = Field(1.5, gt=0.0, le=10.0)
    max_speed_z_mps: float = Field(0.7, gt=0.0, le=5.0)
    max_yaw_rate_radps: float = Field(1.75, gt=0.0, le=6.0)
    geofence_min_m: tuple[float, float, float] | None = None
    geofence_max_m: tuple[float, float, float] | None = None
    margin_m: float = Field(0.3, ge=0.0, le=5.0)
    return_speed_mps: float = Field(0.3, gt=0.0, le=2.0)

    @model_validator(mode="after")
    def _check_fence(self) -> SafetyConfig:
        lo, hi = self.geofence_min_m, self.geofence_max_m
        if (lo is None) != (hi is None):
            raise ValueError("geofence_min_m and geofence_max_m must be given together")
        if lo is not None and hi is not None and any(a >= b for a, b in zip(lo, hi, strict=True)):
            raise ValueError("geofence_min_m must be below geofence_max_m on every axis")
        return self


class SafetyEnvelope:
    """Filters drone commands; returns the safe command and the names of the rules that acted."""

    def __init__(self, cfg: SafetyConfig) -> None:
        self.cfg = cfg

    def filter(self, cmd: DroneCommand, state: DroneState | None) -> tuple[DroneCommand, list[str]]:
        """Apply, in order: NaN/inf guard (→ hover), a state that cannot be trusted (non-finite position, velocity
        or attitude: → hover, the fence would be blind), geofence, speed limits. The result is always finite and
        within the limits, whatever the inputs (huge values included)."""
        c = self.cfg
        if not cmd.is_finite():
            return DroneCommand.hover(), ["nonfinite"]
        if state is not None and not all(np.isfinite(x).all() for x in (state.position, state.velocity, state.rpy)):
            return DroneCommand.hover(), ["nonfinite_state"]
        reasons: list[str] = []
        vx, vy, vz, wz = cmd.vx, cmd.vy, cmd.vz, cmd.yaw_rate
        if state is not None and c.geofence_min_m is not None and c.geofence_max_m is not None:
            vx, vy, vz, fenced = self._fence(vx, vy, vz, state)
            if fenced:
                reasons.append("geofence")
        sxy = math.hypot(vx, vy)
        if sxy > c.max_speed_xy_mps:
            scale = c.max_speed_xy_mps / sxy  # scale first: vx · limit could overflow near 1.8e308
            vx, vy = vx * scale, vy * scale
            reasons.append("speed_xy")
        if abs(vz) > c.max_speed_z_mps:
            vz = math.copysign(c.max_speed_z_mps, vz)
            reasons.append("speed_z")
        if abs(wz) > c.max_yaw_rate_radps:
            wz = math.copysign(c.max_yaw_rate_radps, wz)
            reasons.append("yaw_rate")
        out = DroneCommand(vx, vy, vz, wz)
        if not out.is_finite():  # cannot happen with finite inputs; the envelope holds on its own regardless
            return DroneCommand.hover(), [*reasons, "nonfinite"]
        return out, reasons

    def _fence(self, vx: float, vy: float, vz: float, s: DroneState) -> tuple[float, float, float, bool]:
        c = self.cfg
        cy, sy = math.cos(s.yaw), math.sin(s.yaw)
        v = np.array([cy * vx - sy * vy, sy * vx + cy * vy, vz])  # body (yaw-only) → world
        lo, hi = np.asarray(c.geofence_min_m), np.asarray(c.geofence_max_m)
        p = s.position
        acted = False
        for i in range(3):
            if p[i] < lo[i]:
                v[i], acted = c.return_speed_mps, True
            elif p[i] > hi[i]:
                v[i], acted = -c.return_speed_mps, True
            elif p[i] < lo[i] + c.margin_m and v[i] < 0:
                v[i], acted = 0.0, True
            elif p[i] > hi[i] - c.margin_m and v[i] > 0:
                v[i], acted = 0.0, True
        bx = cy * v[0] + sy * v[1]
        by = -sy * v[0] + cy * v[1]
        return float(bx), float(by), float(v[2]), acted


class SafeFlyer:
    """A ``Flyer`` whose every command passes a ``SafetyEnvelope`` first.

    The geofence uses the state of the latest observation. Each intervention becomes a
    ``safety_<rule>`` event on the next observation; counts are in ``interventions``.
    """

    def __init__(self, inner: Flyer, cfg: SafetyConfig) -> None:
        self.inner = inner
        self.envelope = SafetyEnvelope(cfg)
        self.interventions: dict[str, int] = {}
        self._state: DroneState | None = None
        self._pending: list[Event] = []
        self._t = 0.0

    @property
    def cameras(self) -> Mapping[str, CameraModel]:
        return self.inner.cameras

    @property
    def dt(self) -> float:
        return self.inner.dt

    def reset(self, seed: int | None = None) -> Observation:
        self.interventions = {}
        self._pending = []
        return self._track(self.inner.reset(seed))

    def observe(self) -> Observation:
        return self._track(self.inner.observe())

    def act(self, command: DroneCommand) -> DroneCommand:
        safe, reasons = self.envelope.filter(command, self._state)
        for r in reasons:
            self.interventions[r] = self.interventions.get(r, 0) + 1
            if r == "nonfinite":
                log.warning("non-finite command %s replaced by hover", command)
        if reasons:
            self._pending.append(Event(self._t, "safety", {"rules": reasons, "requested": _cmd_list(command),
                                                     "applied": _cmd_list(safe)}))
        return self.inner.act(safe)

    def takeoff(self) -> bool:
        return self.inner.takeoff()

    def land(self) -> bool:
        return self.inner.land()

    def emergency(self) -> None:
        self.inner.emergency()

    def close(self) -> None:
        self.inner.close()

    def _track(self, obs: Observation) -> Observation:
        self._t = obs.t
        if len(obs.state) == DroneState.SIZE:
            self._state = DroneState.from_vector(obs.state)
        if not self._pending:
            return obs
        pending, self._pending = tuple(self._pending), []
        return Observation(t=obs.t, images=obs.images, state=obs.state, depth=obs.depth,
                           events=(*pending, *obs.events), info=obs.info)


def _cmd_list(c: DroneCommand) -> list[float | str]:
    return [x if math.isfinite(x) else repr(x) for x in c.as_array().tolist()]
