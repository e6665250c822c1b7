"""Visual goals in a room: flat-coloured landmarks a mission's task can name (``room.landmarks``).

Two kinds, each in three colours (``LANDMARK_NAMES``: ``<colour>_<kind>``):

* ``panel``: a 0.5 × 0.5 m plate, 2 cm thick, on one of the three walls the start does not stand against,
  its centre at ``RoomConfig.landmark_height_m``;
* ``box``: a free-standing marked box (half sides 0.2 × 0.2 m, 1.4 m tall) among the obstacles. It is solid:
  touching it is a collision like any other.

Colours are saturated and untextured (magenta, yellow, cyan), unlike every other surface in the room, so a
colour threshold finds them in an image. Landmarks are placed with their own random stream
(``seed`` → ``[seed, 17]``), after the obstacles: a room's obstacles are the same with or without landmarks.
Each landmark has an **approach point** (world x, y at its centre height): free space 0.45 m in front of a
panel, or 0.45 m beyond the side of a box that faces the room's centre, at least ``APPROACH_CLEARANCE_M`` from
every obstacle and wall, where a flyer can hover and see it. Positions are world metres (z up).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

LANDMARK_COLOURS: dict[str, tuple[float, float, float]] = {
    "magenta": (1.0, 0.0, 1.0),
    "yellow": (1.0, 0.92, 0.0),
    "cyan": (0.0, 0.9, 1.0),
}
LANDMARK_KINDS = ("panel", "box")
LANDMARK_NAMES = tuple(f"{c}_{k}" for k in LANDMARK_KINDS for c in LANDMARK_COLOURS)
PANEL_HALF_M = (0.01, 0.25, 0.25)  # thickness, width, height halves (panel frame: x = the wall's normal)
BOX_HALF_M = (0.2, 0.2, 0.7)
APPROACH_OFFSET_M = 0.45  # from the landmark's face to its approach point
APPROACH_CLEARANCE_M = 0.45  # free space around the approach point (airframe ≈ 0.21 m radius + margin)
_ATTEMPTS = 300


@dataclass(frozen=True)
class Landmark:
    """One landmark: an oriented box in the world.

    Attributes:
        name: ``<colour>_<kind>``, e.g. ``magenta_panel``.
        kind: ``panel`` or ``box``.
        colour: RGB in [0, 1].
        centre: (x, y, z) world metres.
        half_size: half extents along the landmark's own x, y, z axes, metres.
        yaw: rotation of the landmark's x axis about world z, radians (a panel's x axis points into the room).
        approach_xy: where to hover to reach it, world metres (see the module docstring).
    """

    name: str
    kind: str
    colour: tuple[float, float, float]
    centre: tuple[float, float, float]
    half_size: tuple[float, float, float]
    yaw: float
    approach_xy: tuple[float, float]

    def to_dict(self) -> dict:
        return asdict(self)


def landmark_distance(landmark: dict | Landmark, position: np.ndarray) -> float:
    """Euclidean distance (m) from a world point (3,) to the nearest point of the landmark's box (0 inside)."""
    lm = landmark.to_dict() if isinstance(landmark, Landmark) else landmark
    c = np.asarray(lm["centre"], dtype=np.float64)
    half = np.asarray(lm["half_size"], dtype=np.float64)
    cy, sy = math.cos(lm["yaw"]), math.sin(lm["yaw"])
    d = np.asarray(position, dtype=np.float64) - c
    local = np.array([cy * d[0] + sy * d[1], -sy * d[0] + cy * d[1], d[2]])
    return float(np.linalg.norm(local - np.clip(local, -half, half)))


def _clear(xy: tuple[float, float], obstacles: list[tuple[float, float, float]], size: tuple[float, float]) -> bool:
    """Whether ``xy`` is ``APPROACH_CLEARANCE_M`` from the walls and from each (x, y, radius) footprint."""
    sx, sy = size
    if abs(xy[0]) > sx / 2 - APPROACH_CLEARANCE_M or abs(xy[1]) > sy / 2 - APPROACH_CLEARANCE_M:
        return False
    return all(math.hypot(xy[0] - x, xy[1] - y) >= r + APPROACH_CLEARANCE_M for x, y, r in obstacles)


def _panel(name: str, colour: tuple[float, float, float], rng: np.random.Generator, size: tuple[float, float],
           height_m: float, start_xy: tuple[float, float]) -> Landmark:
    sx, sy = size
    wall = int(rng.integers(3))  # +x (facing the start), +y, −y
    if wall == 0:
        along = float(rng.uniform(-sy / 2 + 0.6, sy / 2 - 0.6))
        centre, yaw = (sx / 2 - PANEL_HALF_M[0], along), math.pi
    else:
        along = float(rng.uniform(max(-sx / 2 + 0.6, start_xy[0] + 1.5), sx / 2 - 0.6))
        side = 1.0 if wall == 1 else -1.0
        centre, yaw = (along, side * (sy / 2 - PANEL_HALF_M[0])), -side * math.pi / 2
    nx, ny = math.cos(yaw), math.sin(yaw)
    off = PANEL_HALF_M[0] + APPROACH_OFFSET_M
    approach = (centre[0] + off * nx, centre[1] + off * ny)
    return Landmark(name, "panel", colour, (centre[0], centre[1], height_m), PANEL_HALF_M, yaw, approach)


def _box(name: str, colour: tuple[float, float, float], rng: np.random.Generator, size: tuple[float, float],
         start_xy: tuple[float, float]) -> Landmark:
    sx, sy = size
    r = math.hypot(BOX_HALF_M[0], BOX_HALF_M[1])
    x = float(rng.uniform(start_xy[0] + 1.8, sx / 2 - r - 0.3))
    y = float(rng.uniform(-sy / 2 + r + 0.3, sy / 2 - r - 0.3))
    yaw = math.atan2(-y, -x) if math.hypot(x, y) > 0.3 else math.pi  # its x face turned to the room's centre
    off = BOX_HALF_M[0] + APPROACH_OFFSET_M
    approach = (x + off * math.cos(yaw), y + off * math.sin(yaw))
    return Landmark(name, "box", colour, (x, y, BOX_HALF_M[2]), BOX_HALF_M, yaw, approach)


def place_landmarks(names: tuple[str, ...], size: tuple[float, float], height_m: float,
                    start_xy: tuple[float, float], obstacles: list[tuple[float, float, float]], seed: int,
                    min_gap_m: float = 0.3) -> tuple[Landmark, ...]:
    """Place the named landmarks in a room of ``size`` (x, y metres) with obstacle footprints ``obstacles``
    ((x, y, radius) each). Raises ``ValueError`` when no free place is found for one of them."""
    rng = np.random.default_rng([seed, 17])
    placed: list[Landmark] = []
    taken = list(obstacles)
    for name in names:
        colour_name, kind = name.split("_")
        colour = LANDMARK_COLOURS[colour_name]
        for _ in range(_ATTEMPTS):
            lm = (_panel(name, colour, rng, size, height_m, start_xy) if kind == "panel"
                  else _box(name, colour, rng, size, start_xy))
            footprint = math.hypot(lm.half_size[0], lm.half_size[1])
            if kind == "box" and any(math.hypot(lm.centre[0] - x, lm.centre[1] - y) < footprint + r + min_gap_m
                                     for x, y, r in taken):
                continue
            if not _clear(lm.approach_xy, taken, size):
                continue
            if any(math.dist(lm.centre[:2], p.centre[:2]) < 1.0 for p in placed):
                continue
            placed.append(lm)
            taken.append((lm.centre[0], lm.centre[1], footprint))
            break
        else:
            raise ValueError(f"no free place for landmark {name!r} in this room (seed {seed}); "
                             "use fewer obstacles or landmarks")
    return tuple(placed)
