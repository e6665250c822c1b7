"""Flight metrics accumulated step by step during a mission."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from agent.contracts import DepthEstimate, DroneState


@dataclass
class FlightMetrics:
    """Running totals. Distances in metres, times in seconds, speeds in m/s.

    Depth errors compare an estimate with ground truth on pixels valid in both (ground truth
    below ``max_depth_m``): AbsRel = mean |d − d*| / d*, MAE = mean |d − d*|, per frame, then averaged.
    """

    max_depth_m: float = 8.0
    distance_m: float = 0.0
    flight_time_s: float = 0.0
    collisions: int = 0
    steps: int = 0
    _last_pos: np.ndarray | None = None
    _abs_rel: list[float] = field(default_factory=list)
    _mae: list[float] = field(default_factory=list)
    _valid: list[float] = field(default_factory=list)
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

    def add_depth(self, est: DepthEstimate, gt: np.ndarray) -> None:
        self._valid.append(float(est.valid.mean()))
        m = est.valid & (gt > 0) & (gt < self.max_depth_m)
        if m.sum() < 10:
            return
        err = np.abs(est.depth[m] - gt[m])
        self._abs_rel.append(float((err / gt[m]).mean()))
        self._mae.append(float(err.mean()))

    def summary(self) -> dict[str, float | int | None]:
        def mean(x: list[float]) -> float | None:
            return float(np.mean(x)) if x else None

        return {
            "distance_flown_m": round(self.distance_m, 3),
            "flight_time_s": round(self.flight_time_s, 3),
            "collisions": self.collisions,
            "mean_speed_mps": round(self.distance_m / self.flight_time_s, 4) if self.flight_time_s else 0.0,
            "stereo_depth_abs_rel": mean(self._abs_rel),
            "stereo_depth_mae_m": mean(self._mae),
            "stereo_valid_fraction": mean(self._valid),
            "depth_frames_evaluated": len(self._abs_rel),
        }
