"""Seeded room layouts: a rectangular room centred on the world origin with poles and boxes inside.

All positions are world-frame metres (z up, floor at z = 0). A layout is pure data, so it can be
written to the run folder and drawn in the trajectory plot.

Difficulty levels (``RoomConfig.level``: ``easy``, ``default``, ``dense``, ``maze``) are presets of the
obstacle fields, listed in ``RoomConfig``'s docstring and in ``ROOM_LEVELS``; ``room_config(level, ...)``
builds one with overrides. Every layout ``generate_room`` returns passes ``layout_violations``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from plansight.sim.drone.config_drone import ROOM_LEVELS, RoomConfig, RoomLevel
from plansight.sim.drone.landmarks import Landmark, place_landmarks

__all__ = ["ROOM_LEVELS", "Obstacle", "RoomLayout", "generate_room", "layout_violations", "room_config"]

_LAYOUT_ATTEMPTS = 50
_PLACEMENT_ATTEMPTS = 200


@dataclass(frozen=True)
class Obstacle:
    """A vertical obstacle standing on the floor.

    Attributes:
        kind: ``pole`` (cylinder, ``size`` = (radius,)) or ``box`` (``size`` = half extents x, y).
        x, y: centre on the floor, metres.
        size: see ``kind``, metres.
        yaw: rotation about z, radians (boxes only).
        height: metres.
    """

    kind: str
    x: float
    y: float
    size: tuple[float, ...]
    yaw: float
    height: float

    @property
    def footprint_radius(self) -> float:
        """Radius of the circle enclosing the footprint, metres."""
        return self.size[0] if self.kind == "pole" else math.hypot(self.size[0], self.size[1])


@dataclass(frozen=True)
class RoomLayout:
    """A room: walls at x = ±size_x/2 and y = ±size_y/2, a ceiling, obstacles and a start pose.

    Attributes:
        size: (size_x, size_y), metres.
        height: ceiling height, metres.
        obstacles: the obstacles.
        start_xy: take-off point, metres.
        start_yaw: initial heading, radians.
        seed: the seed that generated the layout.
        landmarks: visual goals (``sim/drone/landmarks.py``), in ``RoomConfig.landmarks`` order.
    """

    size: tuple[float, float]
    height: float
    obstacles: tuple[Obstacle, ...]
    start_xy: tuple[float, float]
    start_yaw: float
    seed: int
    landmarks: tuple[Landmark, ...] = ()

    @classmethod
    def from_dict(cls, d: dict) -> RoomLayout:
        """The layout ``to_dict`` wrote (room.json, an embodiment's ``info["room"]``)."""
        obstacles = tuple(Obstacle(o["kind"], o["x"], o["y"], tuple(o["size"]), o["yaw"], o["height"])
                          for o in d["obstacles"])
        landmarks = tuple(Landmark(lm["name"], lm["kind"], tuple(lm["colour"]), tuple(lm["centre"]),
                                   tuple(lm["half_size"]), lm["yaw"], tuple(lm["approach_xy"]))
                          for lm in d.get("landmarks", ()))
        return cls(tuple(d["size"]), d["height"], obstacles, tuple(d["start_xy"]), d["start_yaw"], d["seed"],
                   landmarks)

    def to_dict(self) -> dict:
        """Plain data (room.json); ``landmarks`` only when the room has some (room files stay as they were)."""
        out = asdict(self)
        if not self.landmarks:
            del out["landmarks"]
        return out


def room_config(level: RoomLevel | None = None, **overrides: object) -> RoomConfig:
    """The room of difficulty ``level`` (None: the defaults), with ``overrides`` replacing its fields."""
    return RoomConfig.model_validate({"level": level, **overrides})


def layout_violations(layout: RoomLayout, cfg: RoomConfig, tol: float = 1e-9) -> list[str]:
    """What is wrong with ``layout`` under ``cfg``'s rules, one line each (empty: valid).

    Rules: the requested number of poles and boxes; every obstacle's enclosing circle at least
    ``min_gap_m`` from the walls and from every other obstacle's, and at least ``start_clearance_m``
    from the start point.
    """
    out = []
    kinds = [o.kind for o in layout.obstacles]
    if kinds.count("pole") != cfg.n_poles or kinds.count("box") != cfg.n_boxes:
        out.append(f"{kinds.count('pole')} poles and {kinds.count('box')} boxes, want {cfg.n_poles} and {cfg.n_boxes}")
    sx, sy = layout.size
    for i, o in enumerate(layout.obstacles):
        r = o.footprint_radius
        if abs(o.x) + r + cfg.min_gap_m > sx / 2 + tol or abs(o.y) + r + cfg.min_gap_m > sy / 2 + tol:
            out.append(f"obstacle {i} is nearer than {cfg.min_gap_m} m to a wall")
        if math.hypot(o.x - layout.start_xy[0], o.y - layout.start_xy[1]) < cfg.start_clearance_m + r - tol:
            out.append(f"obstacle {i} is nearer than {cfg.start_clearance_m} m to the start")
        for j, p in enumerate(layout.obstacles[i + 1:], i + 1):
            if math.hypot(o.x - p.x, o.y - p.y) < r + p.footprint_radius + cfg.min_gap_m - tol:
                out.append(f"obstacles {i} and {j} are nearer than {cfg.min_gap_m} m")
    return out


def generate_room(cfg: RoomConfig, seed: int) -> RoomLayout:
    """Place obstacles by rejection sampling so every gap is at least ``cfg.min_gap_m``.

    The start is near the middle of the −x wall, facing +x. Raises ``ValueError`` when the room
    cannot hold the requested obstacles with the requested gaps.
    """
    rng = np.random.default_rng(seed)
    for _ in range(_LAYOUT_ATTEMPTS):
        layout = _try_layout(cfg, seed, rng)
        if layout is not None:
            return layout
    raise ValueError(
        f"room {cfg.size_m[0]}x{cfg.size_m[1]} m cannot hold {cfg.n_poles} poles and {cfg.n_boxes} boxes "
        f"with min_gap_m={cfg.min_gap_m}; use fewer obstacles or a smaller gap")


def _try_layout(cfg: RoomConfig, seed: int, rng: np.random.Generator) -> RoomLayout | None:
    sx, sy = cfg.size_m
    start = (-sx / 2 + 0.7, float(rng.uniform(-0.2, 0.2) * sy))
    kinds = ["pole"] * cfg.n_poles + ["box"] * cfg.n_boxes
    rng.shuffle(kinds)
    placed: list[Obstacle] = []
    for kind in kinds:
        for _ in range(_PLACEMENT_ATTEMPTS):
            if kind == "pole":
                size: tuple[float, ...] = (float(rng.uniform(*cfg.pole_radius_m)),)
                yaw = 0.0
            else:
                size = tuple(float(s) for s in rng.uniform(*cfg.box_half_size_m, size=2))
                yaw = float(rng.uniform(0, math.pi))
            height = cfg.height_m if kind == "pole" else float(rng.uniform(0.8, cfg.height_m))
            ob = Obstacle(kind, 0.0, 0.0, size, yaw, height)
            r = ob.footprint_radius
            margin = r + cfg.min_gap_m
            if 2 * margin >= min(sx, sy):
                continue
            x = float(rng.uniform(-sx / 2 + margin, sx / 2 - margin))
            y = float(rng.uniform(-sy / 2 + margin, sy / 2 - margin))
            if math.hypot(x - start[0], y - start[1]) < cfg.start_clearance_m + r:
                continue
            if any(math.hypot(x - o.x, y - o.y) < r + o.footprint_radius + cfg.min_gap_m for o in placed):
                continue
            placed.append(Obstacle(kind, x, y, size, yaw, height))
            break
        else:
            return None
    try:
        landmarks = place_landmarks(cfg.landmarks, (sx, sy), cfg.landmark_height_m, start,
                                    [(o.x, o.y, o.footprint_radius) for o in placed], seed) if cfg.landmarks else ()
    except ValueError:
        return None  # another obstacle layout may leave room for them
    return RoomLayout(size=(sx, sy), height=cfg.height_m, obstacles=tuple(placed), start_xy=start,
                      start_yaw=0.0, seed=seed, landmarks=landmarks)
