"""Shortest collision-free paths on a known room map: the privileged expert's planner.

The room (``RoomLayout.to_dict``: walls at ±size/2, poles, boxes, landmarks, all world metres, z up) becomes an
occupancy grid of ``resolution_m`` cells: a cell is blocked when its centre is nearer than ``clearance_m`` to a
wall or to an obstacle's footprint (discs for poles, oriented rectangles for boxes and landmarks). The shortest
8-connected path between two cells comes from scikit-image's minimum-cost-path search
(``skimage.graph.route_through_array``, geometric costs, blocked cells infinite); a greedy line-of-sight
shortcut then keeps only the corners. Paths are (N, 2) world (x, y) arrays, metres.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class OccupancyGrid:
    """A room map. ``free[i, j]`` is the cell whose centre is ``origin + (j + 0.5, i + 0.5) · resolution_m``
    (rows along world y, columns along world x)."""

    free: np.ndarray
    origin: tuple[float, float]
    resolution_m: float

    def cell(self, xy: np.ndarray | tuple[float, float]) -> tuple[int, int]:
        """(row, column) of the cell holding world point ``xy``, clipped to the grid."""
        j = int(np.clip((xy[0] - self.origin[0]) / self.resolution_m, 0, self.free.shape[1] - 1))
        i = int(np.clip((xy[1] - self.origin[1]) / self.resolution_m, 0, self.free.shape[0] - 1))
        return i, j

    def centre(self, cells: np.ndarray) -> np.ndarray:
        """World (x, y) of (N, 2) (row, column) cells."""
        cells = np.asarray(cells, dtype=np.float64)
        return np.stack([self.origin[0] + (cells[:, 1] + 0.5) * self.resolution_m,
                         self.origin[1] + (cells[:, 0] + 0.5) * self.resolution_m], axis=1)

    def segment_free(self, a: np.ndarray, b: np.ndarray) -> bool:
        """Whether every cell along the straight segment a → b (world x, y) is free."""
        n = max(2, int(math.ceil(np.linalg.norm(b - a) / (0.5 * self.resolution_m))) + 1)
        for t in np.linspace(0.0, 1.0, n):
            if not self.free[self.cell(a + t * (b - a))]:
                return False
        return True


def _footprints(room: Mapping[str, Any]) -> list[tuple[str, float, float, tuple[float, ...], float]]:
    """(kind, x, y, size, yaw) of every solid thing standing in the room: obstacles and landmarks."""
    out = [(o["kind"], o["x"], o["y"], tuple(o["size"]), o.get("yaw", 0.0)) for o in room.get("obstacles", ())]
    for lm in room.get("landmarks", ()):
        out.append(("box", lm["centre"][0], lm["centre"][1], tuple(lm["half_size"][:2]), lm["yaw"]))
    return out


def occupancy_grid(room: Mapping[str, Any], clearance_m: float = 0.35, resolution_m: float = 0.05) -> OccupancyGrid:
    """The grid of ``room`` with everything inflated by ``clearance_m`` (the airframe's radius plus a margin)."""
    sx, sy = room["size"]
    nx, ny = int(math.ceil(sx / resolution_m)), int(math.ceil(sy / resolution_m))
    origin = (-sx / 2, -sy / 2)
    xs = origin[0] + (np.arange(nx) + 0.5) * resolution_m
    ys = origin[1] + (np.arange(ny) + 0.5) * resolution_m
    X, Y = np.meshgrid(xs, ys)
    free = (np.abs(X) <= sx / 2 - clearance_m) & (np.abs(Y) <= sy / 2 - clearance_m)
    for kind, x, y, size, yaw in _footprints(room):
        dx, dy = X - x, Y - y
        if kind == "pole":
            dist = np.hypot(dx, dy) - size[0]
        else:
            c, s = math.cos(yaw), math.sin(yaw)
            lx, ly = np.abs(c * dx + s * dy) - size[0], np.abs(-s * dx + c * dy) - size[1]
            dist = np.hypot(np.maximum(lx, 0.0), np.maximum(ly, 0.0)) + np.minimum(np.maximum(lx, ly), 0.0)
        free &= dist >= clearance_m
    return OccupancyGrid(free, origin, resolution_m)


def _nearest_free(grid: OccupancyGrid, cell: tuple[int, int], max_cells: int = 10) -> tuple[int, int] | None:
    if grid.free[cell]:
        return cell
    idx = np.argwhere(grid.free)
    if not len(idx):
        return None
    d = np.abs(idx - np.asarray(cell)).max(axis=1)
    k = int(np.argmin(d))
    return (int(idx[k, 0]), int(idx[k, 1])) if d[k] <= max_cells else None


def grid_path(grid: OccupancyGrid, start_xy: np.ndarray, goal_xy: np.ndarray) -> np.ndarray | None:
    """The shortest 8-connected path (N, 2 world x, y) between the cells of two points, shortcut to its corners,
    with the exact ``start_xy`` and ``goal_xy`` as its ends; None when the goal is unreachable. A start or goal in
    a blocked cell (the vehicle brushing an inflated obstacle) is moved to the nearest free cell within 0.5 m."""
    from skimage.graph import route_through_array

    start_xy, goal_xy = np.asarray(start_xy, float)[:2], np.asarray(goal_xy, float)[:2]
    a = _nearest_free(grid, grid.cell(start_xy))
    b = _nearest_free(grid, grid.cell(goal_xy))
    if a is None or b is None:
        return None
    cost = np.where(grid.free, 1.0, np.inf)
    try:
        cells, _ = route_through_array(cost, a, b, fully_connected=True, geometric=True)
    except ValueError:  # no path
        return None
    pts = np.concatenate([start_xy[None], grid.centre(np.asarray(cells))[1:-1], goal_xy[None]])
    return shortcut(grid, pts)


def shortcut(grid: OccupancyGrid, pts: np.ndarray) -> np.ndarray:
    """Greedy line-of-sight smoothing: from each kept point, jump to the farthest later point in plain view."""
    keep = [0]
    i = 0
    while i < len(pts) - 1:
        j = len(pts) - 1
        while j > i + 1 and not grid.segment_free(pts[i], pts[j]):
            j -= 1
        keep.append(j)
        i = j
    return pts[keep]


def path_length(path: np.ndarray) -> float:
    """Length of a polyline (N, 2 or 3), metres."""
    return float(np.linalg.norm(np.diff(path, axis=0), axis=1).sum()) if len(path) > 1 else 0.0


def plan_path(room: Mapping[str, Any], start_xy: np.ndarray, goal_xy: np.ndarray,
              clearances_m: tuple[float, ...] = (0.35, 0.28), resolution_m: float = 0.05) -> np.ndarray | None:
    """``grid_path`` on the room's map, trying each clearance in turn (the widest that leaves a path)."""
    for clearance in clearances_m:
        path = grid_path(occupancy_grid(room, clearance, resolution_m), start_xy, goal_xy)
        if path is not None:
            return path
    return None
