"""A local planner that plans a little: a VFH+-style polar free-space histogram over headings.

Input: one depth image (with its validity mask), the camera model and, when there is one, the flyer's
state (``DroneState`` vector: position, yaw, roll and pitch). Output: a body-frame velocity command.

1. **Obstacle points.** Valid pixels are lifted to 3-D in the body frame, levelled with the state's roll
   and pitch, and kept when they lie within ``height_band_m`` of the camera's height (floor and ceiling
   are not obstacles). Each image column gives its ``outlier_pixels``-th nearest point (range from the
   airframe's centre), so a few stereo mismatches do not make a wall. A column with too little valid
   depth gets a phantom point at ``unknown_range_m`` (unknown space is not free space).
2. **Memory.** Points nearer than ``memory_range_m`` are kept in the world frame (on a ``memory_cell_m``
   grid) for ``memory_s`` seconds, so obstacles beside and behind the drone still count once they leave
   the field of view. A remembered point that the current image sees through (inside the view, nearer
   than what the image measures on its column and the columns beside it) is forgotten, except where the
   image cannot see it (no depth there, or, for a stereo pair, the left border where the point's match
   would fall outside the right image).
3. **Histogram.** For each candidate heading (``bin_deg`` bins over the full circle, body frame) the
   *free range* is how far a disc of radius ``airframe_radius_m + margin_m`` can travel along it before
   it touches a point (obstacles enlarged by the airframe, as VFH+). A second, wider disc
   (``+ clearance_m``) scores how roomy the heading is. Headings outside the field of view are known
   only through memory, so their free range is capped at ``unseen_range_m``.
4. **Choice.** A heading is admissible when its free range is at least ``admit_range_m``. Among the
   admissible ones the planner takes the cheapest: ``w_forward·|heading|`` (keep flying where the nose
   points: the goal is to cross the room) + ``w_previous·|heading − previous choice|`` (hysteresis: the
   previous choice is held in the world frame, so a turn in progress does not flip) + how little free
   range it has (``w_free``, up to ``free_range_m``) + how little roominess (``w_roomy``). When
   no heading is admissible (a dead end) it rotates in place, at the full yaw rate, towards the most
   open remembered direction, and keeps that rotation until a heading in view is admissible by
   ``exit_margin_m`` more than the admission threshold (so it does not dither at the threshold).
5. **Command.** The drone flies along the chosen heading (body-frame velocity ``speed·(cos h, sin h)``: a
   multirotor need not point where it goes, so the path is the straight line the histogram checked)
   while it yaws towards it at ``yaw_gain · heading`` (clipped). The speed ramps from 0 at
   ``stop_range_m`` to ``max_speed_mps`` at ``slow_range_m`` of free range, and is held to
   ``tight_speed_mps`` on a path with less than ``comfort_margin_m`` beside the airframe, or with less than
   ``pass_slow_m`` between the rotors and the nearest point ahead of the motion; it falls from full at
   ``turn_full_deg`` of heading change to 0 at ``turn_stop_deg`` (turn first, then go: with a narrow field
   of view the side of a sharp turn has not been seen yet). The drone goes where its
   velocity points until the controller catches up, so when the way it is actually moving is not free
   for the braking distance, it brakes. A small sideways
   push moves it away from any point nearer than ``side_distance_m`` to the centre, if that side is free.

Units: metres, seconds, radians (degrees only where a field name says ``_deg``). Frames: body FLU
(x forward, y left, z up); headings are counter-clockwise from the nose.
"""

from __future__ import annotations

import logging
import math

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from plansight.agent.contracts import CameraModel, DepthEstimate, DroneCommand, DroneState, Observation

log = logging.getLogger(__name__)


class LocalPlannerConfig(BaseModel):
    """Geometry in metres, times in seconds, speeds in m/s, yaw rates in rad/s, weights per radian."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_speed_mps: float = Field(0.8, gt=0.0, le=5.0)
    yaw_rate_radps: float = Field(1.2, gt=0.0, le=6.0, description="the largest yaw rate, also the dead-end rotation")
    yaw_gain: float = Field(2.0, gt=0.0, description="yaw rate per radian of heading error, 1/s")
    airframe_radius_m: float = Field(0.21, gt=0.0, le=2.0, description="rotor tips from the centre")
    margin_m: float = Field(0.03, ge=0.0, description="added to the airframe radius for the free range")
    comfort_margin_m: float = Field(0.12, ge=0.0, description="a path with less margin than this is flown slowly")
    tight_speed_mps: float = Field(0.4, gt=0.0, description="speed through gaps with less than the comfort margin")
    clearance_m: float = Field(0.25, ge=0.0, description="extra radius for the roominess score")
    bin_deg: float = Field(5.0, gt=0.5, le=30.0)
    max_range_m: float = Field(5.0, gt=0.0, description="depth beyond this is ignored, free range is capped here")
    admit_range_m: float = Field(0.9, gt=0.0, description="a heading is admissible when free this far")
    exit_margin_m: float = Field(0.3, ge=0.0, description="leave a dead-end rotation only when free this much more")
    unseen_range_m: float = Field(0.5, ge=0.0, description="free range cap for headings outside the view")
    unknown_range_m: float = Field(1.5, gt=0.0, description="phantom point range on columns without depth")
    roomy_range_m: float = Field(2.5, gt=0.0, description="free range (wide disc) that counts as fully roomy")
    stop_range_m: float = Field(0.2, ge=0.0)
    slow_range_m: float = Field(1.2, gt=0.0)
    w_forward: float = Field(1.0, ge=0.0, description="cost per radian away from the nose")
    w_previous: float = Field(0.6, ge=0.0, description="cost per radian away from the previous choice")
    w_free: float = Field(1.5, ge=0.0, description="cost of a heading with no free range, radians-equivalent")
    free_range_m: float = Field(3.0, gt=0.0, description="free range that counts as fully free in the cost")
    w_roomy: float = Field(0.7, ge=0.0, description="cost of a heading with no roominess, radians-equivalent")
    turn_full_deg: float = Field(15.0, ge=0.0, le=90.0, description="full speed up to this heading change")
    turn_stop_deg: float = Field(45.0, gt=0.0, le=180.0, description="turn in place beyond this heading change")
    brake_decel_mps2: float = Field(1.5, gt=0.0, description="deceleration assumed when braking, m/s²")
    latency_s: float = Field(0.3, ge=0.0, description="command-to-motion delay assumed when braking")
    pass_slow_m: float = Field(0.3, gt=0.0, description="full speed only with this clearance around the rotors")
    side_distance_m: float = Field(0.32, gt=0.0, description="push sideways from points nearer than this")
    side_speed_mps: float = Field(0.25, ge=0.0)
    height_band_m: float = Field(0.35, gt=0.0)
    min_valid_fraction: float = Field(0.25, ge=0.0, le=1.0, description="below this the image is blind")
    column_valid_fraction: float = Field(0.1, ge=0.0, le=1.0, description="a column with less has no depth")
    outlier_pixels: int = Field(3, ge=0, le=50)
    memory_s: float = Field(3.0, ge=0.0, le=30.0)
    memory_range_m: float = Field(1.5, gt=0.0)
    memory_cell_m: float = Field(0.05, gt=0.0)

    @model_validator(mode="after")
    def _ordered(self) -> LocalPlannerConfig:
        if self.slow_range_m <= self.stop_range_m:
            raise ValueError("slow_range_m must exceed stop_range_m")
        if self.turn_stop_deg <= self.turn_full_deg:
            raise ValueError("turn_stop_deg must exceed turn_full_deg")
        return self


class PolarHistogramPlanner:
    """The planner of the module docstring; with ``reset`` and ``act`` it is a ``DronePolicy`` on its own
    (the registered ``avoidance`` policy wraps it in ``mode: planner``).

    Args:
        cfg: the planner's settings.
        camera: model of the camera the depth estimates belong to, looking forward; its ``T_body_cam``
            places it (a pose with the identity rotation, ``CameraModel``'s default, is read as looking
            along the nose, as ``CameraModel.forward_pose``).
    """

    def __init__(self, cfg: LocalPlannerConfig, camera: CameraModel) -> None:
        self.cfg = cfg
        self.camera = camera
        w, h = camera.width, camera.height
        u = (np.arange(w, dtype=np.float64) - camera.cx) / camera.fx
        v = (np.arange(h, dtype=np.float64) - camera.cy) / camera.fy
        self._ray = np.stack(np.broadcast_arrays(u[None, :], v[:, None], np.ones((h, w))), axis=0)  # 3×H×W cam
        R = np.asarray(camera.T_body_cam[:3, :3], dtype=np.float64)
        # an identity rotation is CameraModel's default (no pose given): take it as looking along the nose
        self._R_bc = CameraModel.forward_pose(0, 0, 0)[:3, :3] if np.allclose(R, np.eye(3)) else R
        self._t_bc = np.asarray(camera.T_body_cam[:3, 3], dtype=np.float64)
        self._core_rows = slice(h // 4, h - h // 4)
        n = max(4, round(360.0 / cfg.bin_deg))
        self.headings = np.linspace(-math.pi, math.pi, n, endpoint=False)
        self._u = np.stack([np.cos(self.headings), np.sin(self.headings)], axis=1)  # B×2
        # the view, seen from the centre: column bearings of the camera's horizontal field of view
        self._half_fov = camera.hfov_rad / 2.0
        self.reset()

    def reset(self) -> None:
        self._memory = np.zeros((0, 3))  # world x, y, time
        self._prev_world: float | None = None  # the previous choice, world yaw
        self._prev_body = 0.0  # without a state: the previous choice, body frame
        self._rotating = 0.0  # dead-end rotation direction (+1 left, -1 right, 0 none)
        self.last: dict[str, float] = {}

    # -- perception ---------------------------------------------------------------------------------------
    def column_points(self, depth: DepthEstimate, rpy: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Per image column, the nearest obstacle point in the levelled body frame: (W×2 forward, left
        metres from the centre, NaN where the column has none) and a W bool mask of columns with no depth."""
        c = self.cfg
        z = depth.depth.astype(np.float64)
        ok = depth.valid & (z > 0) & (z < c.max_range_m)
        p = np.einsum("ij,jhw->ihw", self._R_bc, self._ray * z) + self._t_bc[:, None, None]
        cam_z = self._t_bc[2]
        if rpy is not None:
            R = _level(float(rpy[0]), float(rpy[1]))
            p = np.einsum("ij,jhw->ihw", R, p)
            cam_z = float((R @ self._t_bc)[2])
        band = ok & (np.abs(p[2] - cam_z) < c.height_band_m)
        rng = np.where(band, np.hypot(p[0], p[1]), np.inf)
        k = min(c.outlier_pixels, rng.shape[0] - 1)
        idx = np.argpartition(rng, k, axis=0)[k]
        cols = np.arange(rng.shape[1])
        pts = np.stack([p[0][idx, cols], p[1][idx, cols]], axis=1)
        pts[~np.isfinite(rng[idx, cols])] = np.nan
        no_depth = depth.valid[self._core_rows].mean(axis=0) < c.column_valid_fraction
        if no_depth.any():  # unknown is not free: a phantom point at unknown_range_m along the column
            bearing = np.arctan2(-(cols[no_depth] - self.camera.cx) / self.camera.fx, 1.0)
            ph = c.unknown_range_m
            pts[no_depth] = np.stack([self._t_bc[0] + ph * np.cos(bearing), self._t_bc[1] + ph * np.sin(bearing)], 1)
        return pts, no_depth

    def act(self, obs: Observation, depth: DepthEstimate) -> DroneCommand:
        """``DronePolicy.act``: one planning step."""
        return self.plan(obs, depth)

    # -- planning -----------------------------------------------------------------------------------------
    def free_ranges(self, pts: np.ndarray, radius: float) -> np.ndarray:
        """Free range (m) of a disc of ``radius`` m moving from the centre along each heading of
        ``self.headings``, among body-frame points ``pts`` (N×2 forward, left); capped at ``max_range_m``."""
        cap = self.cfg.max_range_m
        if len(pts) == 0:
            return np.full(len(self.headings), cap)
        along = pts @ self._u.T  # N×B
        lat = np.abs(pts[:, :1] * self._u[None, :, 1] - pts[:, 1:] * self._u[None, :, 0])
        half = np.sqrt(np.clip(radius * radius - lat * lat, 0.0, None))
        hit = (lat < radius) & (along + half > 0.0)
        t = np.where(hit, np.maximum(along - half, 0.0), np.inf)
        return np.minimum(t.min(axis=0), cap)

    def plan(self, obs: Observation, depth: DepthEstimate) -> DroneCommand:
        """One planning step (see the module docstring)."""
        c = self.cfg
        cam = self.camera
        if depth.depth.shape != (cam.height, cam.width):
            raise ValueError(f"depth is {depth.depth.shape[1]}x{depth.depth.shape[0]}, camera {cam.name!r} is "
                             f"{cam.width}x{cam.height}")
        state = DroneState.from_vector(obs.state) if len(obs.state) == DroneState.SIZE else None
        blind = float(depth.valid[self._core_rows].mean()) < c.min_valid_fraction
        pts, no_depth = self.column_points(depth, None if state is None else state.rpy)
        seen = pts[np.isfinite(pts[:, 0])]
        col_rng = np.hypot(pts[:, 0] - self._t_bc[0], pts[:, 1] - self._t_bc[1])  # from the camera
        col_rng[no_depth] = 0.0  # a column without depth sees through nothing
        col_rng[np.isnan(col_rng)] = c.max_range_m  # depth, but nothing in the height band: open
        if blind:
            seen = np.zeros((0, 2))
        allpts = self._remember(obs.t, state, seen, col_rng, blind)

        free = self.free_ranges(allpts, c.airframe_radius_m + c.margin_m)
        roomy = self.free_ranges(allpts, c.airframe_radius_m + c.margin_m + c.clearance_m)
        in_view = np.abs(self.headings) <= self._half_fov - math.radians(c.bin_deg) / 2
        if blind:
            in_view[:] = False
        free_v = np.where(in_view, free, np.minimum(free, c.unseen_range_m))
        admit = free_v >= c.admit_range_m + (c.exit_margin_m if self._rotating else 0.0)

        prev = self._previous_body(state)
        if admit.any():
            self._rotating = 0.0
            cost = (c.w_forward * np.abs(self.headings) + c.w_previous * np.abs(_wrap(self.headings - prev))
                    + c.w_free * (1.0 - np.clip(free / c.free_range_m, 0.0, 1.0))
                    + c.w_roomy * (1.0 - np.clip(roomy / c.roomy_range_m, 0.0, 1.0)))
            cost = np.where(admit, cost, np.inf)
            i = int(np.argmin(cost))
            heading = float(self.headings[i])
            yaw_rate = float(np.clip(c.yaw_gain * heading, -c.yaw_rate_radps, c.yaw_rate_radps))
            ramp = c.slow_range_m - c.stop_range_m
            speed = c.max_speed_mps * float(np.clip((free[i] - c.stop_range_m) / ramp, 0.0, 1.0))
            # a path with little margin (a tight gap, a pole alongside): slower, but keep going
            comfort = float(self.free_ranges(allpts, c.airframe_radius_m + c.comfort_margin_m)[i])
            speed = min(speed, max(c.tight_speed_mps, c.max_speed_mps * float(
                np.clip((comfort - c.stop_range_m) / ramp, 0.0, 1.0))))
            speed = min(speed, self._velocity_limit(state, allpts, free))
            # turn first, then go: the side of a sharp turn is not in view yet
            turn = (math.radians(c.turn_stop_deg) - abs(heading)) / max(math.radians(c.turn_stop_deg - c.turn_full_deg),
                                                                        1e-6)
            speed *= float(np.clip(turn, 0.0, 1.0))
        else:  # dead end: rotate in place towards the most open remembered direction, and keep that way
            if not self._rotating:
                self._rotating = self._open_side(free, prev)
                log.debug("dead end at t=%.2f: rotating %s", obs.t, "left" if self._rotating > 0 else "right")
            heading = self._rotating * math.pi / 2
            yaw_rate = self._rotating * c.yaw_rate_radps
            speed = 0.0
        self._set_previous(state, heading)
        moving = speed > 0.0
        vx = speed * math.cos(heading) if moving else 0.0
        vy = (speed * math.sin(heading) if moving else 0.0) + self._side_push(allpts, free)
        self.last = {"heading_rad": heading, "free_ahead_m": float(free[len(free) // 2]),
                     "admissible": int(admit.sum()), "rotating": self._rotating, "blind": float(blind),
                     "points": int(len(allpts))}
        return DroneCommand(vx=vx, vy=vy, vz=0.0, yaw_rate=yaw_rate)

    def _open_side(self, free: np.ndarray, prev: float) -> float:
        """+1 (left) or −1 (right): the side whose headings are the most open (remembered free range),
        ties to the previous choice's side, then to the left."""
        left, right = self.headings > 0, self.headings < 0
        score_l, score_r = float(free[left].mean()), float(free[right].mean())
        if abs(score_l - score_r) < 1e-6:
            return -1.0 if prev < 0 else 1.0
        return 1.0 if score_l > score_r else -1.0

    def _velocity_limit(self, state: DroneState | None, pts: np.ndarray, free: np.ndarray) -> float:
        """The speed (m/s) the motion the drone already has allows: the flyer goes where its velocity points, not
        where the last command pointed, until the controller catches up. If that way is not free for the braking
        distance, brake; near obstacles (less than ``pass_slow_m`` between the rotors and the nearest point
        ahead of the motion), slow down to ``tight_speed_mps``."""
        c = self.cfg
        if state is None:
            return c.max_speed_mps
        yaw = float(state.rpy[2])
        vx, vy = state.velocity[0], state.velocity[1]
        fwd, lft = math.cos(yaw) * vx + math.sin(yaw) * vy, -math.sin(yaw) * vx + math.cos(yaw) * vy
        v = math.hypot(fwd, lft)
        if v < _MOVING_MPS:
            return c.max_speed_mps
        move = math.atan2(lft, fwd)
        free_move = float(free[int(np.argmin(np.abs(_wrap(self.headings - move))))])
        brake = v * v / (2 * c.brake_decel_mps2) + v * c.latency_s
        limit = c.max_speed_mps * float(np.clip((free_move - c.stop_range_m) / max(brake, 1e-6), 0.0, 1.0))
        if len(pts):
            ahead = pts @ np.array([math.cos(move), math.sin(move)]) > 0.0
            if ahead.any():
                gap = float(np.hypot(pts[ahead, 0], pts[ahead, 1]).min()) - c.airframe_radius_m
                limit = min(limit, max(c.tight_speed_mps, c.max_speed_mps * min(1.0, gap / c.pass_slow_m)))
        return limit

    def _side_push(self, pts: np.ndarray, free: np.ndarray) -> float:
        """Sideways speed (m/s, body left) away from the nearest point when one is nearer than ``side_distance_m``
        to the centre, if that side is free for a little way."""
        c = self.cfg
        if len(pts) == 0:
            return 0.0
        d = np.hypot(pts[:, 0], pts[:, 1])
        near = d < c.side_distance_m
        if near.sum() <= c.outlier_pixels:
            return 0.0
        i = int(np.argmin(np.where(near, d, np.inf)))
        away = -float(np.sign(pts[i, 1]))
        side = int(np.argmin(np.abs(_wrap(self.headings - away * math.pi / 2))))
        return away * c.side_speed_mps if free[side] >= _SIDE_FREE_M else 0.0

    # -- memory and hysteresis ---------------------------------------------------------------------------
    def _remember(self, t: float, state: DroneState | None, seen: np.ndarray, col_rng: np.ndarray,
                  blind: bool) -> np.ndarray:
        """Body-frame points: ``seen`` plus the remembered ones; updates the memory."""
        c = self.cfg
        if state is None or c.memory_s <= 0:
            return seen
        yaw = float(state.rpy[2])
        cy, sy = math.cos(yaw), math.sin(yaw)
        px, py = float(state.position[0]), float(state.position[1])
        mem = self._memory[t - self._memory[:, 2] < c.memory_s] if len(self._memory) else self._memory
        if len(mem):
            dx, dy = mem[:, 0] - px, mem[:, 1] - py
            f, lft = cy * dx + sy * dy, -sy * dx + cy * dy
            if not blind:  # forget what the image now sees through
                fc, lc = f - self._t_bc[0], lft - self._t_bc[1]
                col = np.round(self.camera.cx - self.camera.fx * lc / np.maximum(fc, 1e-6)).astype(int)
                k = _CARVE_COLUMNS
                inside = (fc > 0.3) & (col >= k) & (col < self.camera.width - k)
                if self.camera.baseline_m:  # a stereo pair cannot see a point whose match falls off the right image
                    inside &= col - self.camera.fx * self.camera.baseline_m / np.maximum(fc, 1e-6) >= k
                r = np.hypot(fc, lc)
                # the nearest range over the column and its neighbours: edges of obstacles are not seen through
                near = np.min(np.stack([np.roll(col_rng, s) for s in range(-k, k + 1)]), axis=0)
                cr = np.full(len(mem), c.max_range_m)
                cr[inside] = near[col[inside]]
                seen_through = inside & (cr > r + _CARVE_MARGIN_M)
                keep = ~seen_through
                mem, f, lft = mem[keep], f[keep], lft[keep]
            old = np.stack([f, lft], axis=1)
        else:
            old = np.zeros((0, 2))
        close = seen[np.hypot(seen[:, 0], seen[:, 1]) < c.memory_range_m]
        if len(close):
            w = np.stack([px + cy * close[:, 0] - sy * close[:, 1], py + sy * close[:, 0] + cy * close[:, 1],
                          np.full(len(close), t)], axis=1)
            mem = np.concatenate([mem, w])
            cells = np.round(mem[:, :2] / c.memory_cell_m)
            # keep the newest entry per cell
            order = np.argsort(-mem[:, 2], kind="stable")
            _, first = np.unique(cells[order], axis=0, return_index=True)
            mem = mem[order[first]]
        self._memory = mem
        return np.concatenate([seen, old]) if len(old) else seen

    def _previous_body(self, state: DroneState | None) -> float:
        if state is None:
            return self._prev_body
        if self._prev_world is None:
            return 0.0
        return float(_wrap(self._prev_world - state.rpy[2]))

    def _set_previous(self, state: DroneState | None, heading: float) -> None:
        if state is None:
            self._prev_body = heading
        else:
            self._prev_world = float(_wrap(state.rpy[2] + heading))


_MOVING_MPS = 0.15  # slower than this, the direction of motion is noise
_SIDE_FREE_M = 0.15  # the side push only into a side free this far
_CARVE_COLUMNS = 3  # a remembered point is forgotten only if this many columns either side see past it
_CARVE_MARGIN_M = 0.25  # ... by at least this much


def _level(roll: float, pitch: float) -> np.ndarray:
    """Rotation taking body-frame vectors to the yaw-aligned level frame: Ry(pitch)·Rx(roll)."""
    cr, sr, cp, sp = math.cos(roll), math.sin(roll), math.cos(pitch), math.sin(pitch)
    rx = np.array([[1.0, 0.0, 0.0], [0.0, cr, -sr], [0.0, sr, cr]])
    ry = np.array([[cp, 0.0, sp], [0.0, 1.0, 0.0], [-sp, 0.0, cp]])
    return ry @ rx


def _wrap(a: np.ndarray | float) -> np.ndarray | float:
    return (np.asarray(a) + np.pi) % (2 * np.pi) - np.pi
