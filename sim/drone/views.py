"""Random camera views inside a room: where a drone could be, looking anywhere, often close to something.

Used to collect stereo-labelled images for monocular depth (``plansight collect depth``). Flights by the
avoidance rule rarely come nearer than about 1 m to an obstacle (it turns at 1.3 m), so a network trained on
flights alone has almost no close-range data and overestimates near surfaces; these views fill that gap.

Frames: world FLU (x forward along the room, z up), metres and radians. A view is the body pose of the drone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from plansight.sim.drone.room import Obstacle, RoomLayout


@dataclass(frozen=True)
class View:
    """A body pose: position (m, world) and Z-Y-X Euler angles (rad): roll, pitch, yaw."""

    position: tuple[float, float, float]
    rpy: tuple[float, float, float]

    def quat_wxyz(self) -> np.ndarray:
        """Body-to-world quaternion (w, x, y, z)."""
        return rpy_to_quat(*self.rpy)


def rpy_to_quat(roll: float, pitch: float, yaw: float) -> np.ndarray:
    """Z-Y-X Euler angles (rad) → the body-to-world quaternion (w, x, y, z)."""
    cr, sr, cp, sp, cy, sy = (f(a / 2) for a in (roll, pitch, yaw) for f in (math.cos, math.sin))
    return np.array([cr * cp * cy + sr * sp * sy, sr * cp * cy - cr * sp * sy,
                     cr * sp * cy + sr * cp * sy, cr * cp * sy - sr * sp * cy])


def obstacle_distance(o: Obstacle, x: float, y: float) -> float:
    """Horizontal distance (m) from (x, y) to the obstacle's surface; negative inside it."""
    if o.kind == "pole":
        return math.hypot(x - o.x, y - o.y) - o.size[0]
    c, s = math.cos(o.yaw), math.sin(o.yaw)
    dx, dy = x - o.x, y - o.y
    lx, ly = abs(c * dx + s * dy) - o.size[0], abs(-s * dx + c * dy) - o.size[1]
    outside = math.hypot(max(lx, 0.0), max(ly, 0.0))
    return outside if outside > 0 else max(lx, ly)


def clearance(layout: RoomLayout, x: float, y: float) -> float:
    """Horizontal free distance (m) from (x, y) to the nearest wall or obstacle surface."""
    sx, sy = layout.size
    walls = min(sx / 2 - abs(x), sy / 2 - abs(y))
    return min([walls, *(obstacle_distance(o, x, y) for o in layout.obstacles)])


def sample_views(layout: RoomLayout, n: int, rng: np.random.Generator, min_clearance_m: float = 0.3,
                 near_fraction: float = 0.5, near_m: tuple[float, float] = (0.3, 1.2),
                 altitude_m: tuple[float, float] = (0.4, 2.0), tilt_rad: float = 0.14) -> list[View]:
    """``n`` views with at least ``min_clearance_m`` of horizontal free space.

    A fraction ``near_fraction`` look at a surface from ``near_m`` away: a random obstacle's (or, when there is
    none, a wall's) surface point, the yaw toward it ± 25°. The rest stand anywhere with a uniform yaw. Roll and
    pitch are uniform in ±``tilt_rad`` (a flying quadrotor tilts to accelerate); altitude uniform in
    ``altitude_m``, below the ceiling.
    """
    sx, sy = layout.size
    top = min(altitude_m[1], layout.height - 0.3)
    views: list[View] = []
    while len(views) < n:
        z = float(rng.uniform(altitude_m[0], top))
        if rng.random() < near_fraction:
            d = float(rng.uniform(*near_m))
            if layout.obstacles and rng.random() < 0.7:
                o = layout.obstacles[int(rng.integers(len(layout.obstacles)))]
                a = float(rng.uniform(-math.pi, math.pi))
                reach = o.footprint_radius if o.kind == "box" else o.size[0]
                x, y = o.x + (reach + d) * math.cos(a), o.y + (reach + d) * math.sin(a)
                if o.kind == "box" and z > o.height:  # above a low box: it is not what the camera faces
                    continue
                yaw = a + math.pi
            else:  # face a wall from d away
                wall = int(rng.integers(4))
                along = float(rng.uniform(-0.4, 0.4))
                x, y, yaw = [(sx / 2 - d, along * sy, 0.0), (-sx / 2 + d, along * sy, math.pi),
                             (along * sx, sy / 2 - d, math.pi / 2), (along * sx, -sy / 2 + d, -math.pi / 2)][wall]
            yaw += float(rng.uniform(-0.44, 0.44))
        else:
            x, y = float(rng.uniform(-sx / 2, sx / 2)), float(rng.uniform(-sy / 2, sy / 2))
            yaw = float(rng.uniform(-math.pi, math.pi))
        if clearance(layout, x, y) < min_clearance_m:
            continue
        roll, pitch = (float(v) for v in rng.uniform(-tilt_rad, tilt_rad, size=2))
        views.append(View((x, y, z), (roll, pitch, math.atan2(math.sin(yaw), math.cos(yaw)))))
    return views
