"""Flight metrics accumulated step by step during a mission."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from plansight.agent.contracts import DepthEstimate, DroneState
from plansight.agent.perception.depth_metrics import depth_errors


@dataclass
class FlightMetrics:
    """Running totals. Distances in metres, times in seconds, speeds in m/s.

    Depth errors compare each named estimate with ground truth on its valid pixels (ground truth
    below ``max_depth_m``): AbsRel = mean |d − d*| / d*, MAE = mean |d − d*|, per frame, then averaged.
    """

    max_depth_m: float = 8.0
    distance_m: float = 0.0
    flight_time_s: float = 0.0
    collisions: int = 0
    steps: int = 0
    _last_pos: np.ndarray | None = None
    _depth: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    _by_minute: dict[str, dict[int, list[float]]] = field(default_factory=dict)  # name → minute → [sum, frames]
    trajectory: list[tuple[float, float, float]] = field(default_factory=list)
    collision_xy: list[tuple[float, float]] = field(default_factory=list)

    def add_state(self, t: float, state: DroneState, dt: float) -> None:
        p = state.position
        if self._last_pos is not None and state.airborne:
            self.distance_m += float(np.linalg.norm(p - self._last_pos))
        if state.airborne:
            self.flight_time_s += dt
        self._last_pos = p.copy()
        self.trajectory.append((float(p[0]), float(p[1]), float(t)))
        self.steps += 1

    def add_collision(self, state: DroneState) -> None:
        self.collisions += 1
        self.collision_xy.append((float(state.position[0]), float(state.position[1])))

    def add_depth(self, name: str, est: DepthEstimate, gt: np.ndarray, t: float | None = None
                  ) -> dict[str, float] | None:
        """Score estimate ``name`` (e.g. ``stereo``, ``mono``) against ground truth on its valid pixels; returns
        this frame's errors (``abs_rel``, ``mae_m``), or None when fewer than 10 pixels could be scored. With ``t``
        (mission seconds) the AbsRel also counts towards its minute of flight (``<name>_depth_abs_rel_by_minute``)."""
        acc = self._depth.setdefault(name, {"abs_rel": [], "mae_m": [], "valid": []})
        acc["valid"].append(float(est.valid.mean()))
        m = est.valid & (gt < self.max_depth_m)
        if m.sum() < 10:
            return None
        err = depth_errors(est.depth, gt, m)
        if err is not None:
            acc["abs_rel"].append(err["abs_rel"])
            acc["mae_m"].append(err["mae_m"])
            if t is not None:
                cell = self._by_minute.setdefault(name, {}).setdefault(int(t // 60.0), [0.0, 0])
                cell[0] += err["abs_rel"]
                cell[1] += 1
        return err

    def summary(self) -> dict[str, float | int | None]:
        def mean(x: list[float]) -> float | None:
            return float(np.mean(x)) if x else None

        out: dict[str, float | int | None] = {
            "distance_flown_m": round(self.distance_m, 3),
            "flight_time_s": round(self.flight_time_s, 3),
            "collisions": self.collisions,
            "mean_speed_mps": round(self.distance_m / self.flight_time_s, 4) if self.flight_time_s else 0.0,
        }
        for name, acc in self._depth.items():
            out[f"{name}_depth_abs_rel"] = mean(acc["abs_rel"])
            out[f"{name}_depth_mae_m"] = mean(acc["mae_m"])
            out[f"{name}_valid_fraction"] = mean(acc["valid"])
            out[f"{name}_depth_frames_evaluated"] = len(acc["abs_rel"])
            minutes = self._by_minute.get(name, {})
            if minutes:  # mean AbsRel per minute of mission time, minute 0 first (None: nothing scored that minute)
                out[f"{name}_depth_abs_rel_by_minute"] = [
                    round(minutes[k][0] / minutes[k][1], 5) if k in minutes else None for k in range(max(minutes) + 1)]
        return out
