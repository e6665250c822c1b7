"""The 11 AVDC Meta-World tasks on Meta-World v3, and which geoms make up each task's object.

The object mask is privileged ground truth (as in AVDC, whose ``name2maskid.json`` lists MuJoCo geom ids).
Here the mask is named, not numbered: the *rendered* geoms (groups 0–2, MuJoCo's visible default) of the listed bodies,
optionally narrowed to geoms with the listed names. The ids happen to match AVDC's v2 ids for door-open
(43) and assembly (37, 38).
"""

from __future__ import annotations

from dataclasses import dataclass

import mujoco
import numpy as np


@dataclass(frozen=True)
class TaskSpec:
    """One benchmark task.

    Attributes:
        name: short name (``door-open``); the Meta-World id is ``<name>-v3``.
        mask_bodies: bodies whose rendered geoms form the object mask.
        mask_geoms: if given, only these geom names (among those bodies' geoms) and the unnamed visual
            geoms listed by id in ``mask_geom_ids``.
        mask_geom_ids: extra geom ids (unnamed geoms) that belong to the mask.
    """

    name: str
    mask_bodies: tuple[str, ...]
    mask_geoms: tuple[str, ...] = ()
    mask_geom_ids: tuple[int, ...] = ()

    @property
    def env_id(self) -> str:
        return f"{self.name}-v3"

    def mask_geom_ids_in(self, model: mujoco.MjModel) -> np.ndarray:
        """Sorted int array of the geom ids whose pixels form the object mask in ``model``."""
        bodies = {model.body(b).id for b in self.mask_bodies}
        ids = []
        for g in range(model.ngeom):
            if g in self.mask_geom_ids:
                ids.append(g)
                continue
            rendered = model.geom_group[g] <= 2
            if model.geom_bodyid[g] not in bodies or not rendered:
                continue
            if self.mask_geoms and model.geom(g).name not in self.mask_geoms:
                continue
            ids.append(g)
        if not ids:
            raise ValueError(f"task {self.name}: no geoms match the mask spec {self}")
        return np.array(sorted(ids), dtype=np.int32)


EXTRA_STEPS = 10
"""AVDC's success rule: the task's success flag, then this many more steps within the episode budget (evaluation
episodes end there; expert demonstrations keep recording them)."""

TASKS: dict[str, TaskSpec] = {t.name: t for t in (
    TaskSpec("door-open", ("door_link",), ("handle",)),
    TaskSpec("door-close", ("door_link",), ("handle",)),
    TaskSpec("basketball", ("basketball",)),
    TaskSpec("shelf-place", ("obj",)),
    TaskSpec("button-press", ("button",)),
    TaskSpec("button-press-topdown", ("button",)),
    TaskSpec("faucet-close", ("faucet_link2",)),
    TaskSpec("faucet-open", ("faucet_link2",)),
    TaskSpec("handle-press", ("handle_link",)),
    TaskSpec("hammer", ("hammer",), ("HammerHandle",)),
    TaskSpec("assembly", ("asmbly_peg",), ("WrenchHandle",), mask_geom_ids=(38,)),
)}
"""The AVDC benchmark's tasks, in the order of its tables (``all`` on the command line)."""

ACT_JEPA_EXTRA: dict[str, TaskSpec] = {t.name: t for t in (
    TaskSpec("button-press-wall", ("button",)),
    TaskSpec("button-press-topdown-wall", ("button",)),
    TaskSpec("coffee-button", ("cmbutton",)),
    TaskSpec("coffee-pull", ("mug",)),
    TaskSpec("coffee-push", ("mug",)),
    TaskSpec("drawer-open", ("drawer_link",)),
    TaskSpec("window-open", ("windowb_a",)),
    TaskSpec("window-close", ("windowb_a",)),
    TaskSpec("disassemble", ("asmbly_peg",)),
)}
"""ACT-JEPA's Meta-World v3 tasks (reference §2.3) that are not AVDC tasks: for arm policies and their datasets
(the video planners know the AVDC tasks only)."""

ALL_TASKS: dict[str, TaskSpec] = {**TASKS, **ACT_JEPA_EXTRA}

TASK_GROUPS: dict[str, tuple[str, ...]] = {
    "all": tuple(TASKS),
    "act-jepa-15": ("button-press", "button-press-topdown", "button-press-topdown-wall", "button-press-wall",
                    "coffee-button", "coffee-pull", "coffee-push", "drawer-open", "faucet-open", "faucet-close",
                    "disassemble", "door-open", "door-close", "window-open", "window-close"),
}
"""Names that stand for a list of tasks in ``--tasks``: the AVDC protocol and ACT-JEPA's 15 Meta-World tasks."""


def task_spec(name: str) -> TaskSpec:
    """The spec of ``name``; ``ValueError`` naming the allowed tasks otherwise."""
    try:
        return ALL_TASKS[name]
    except KeyError:
        raise ValueError(f"unknown task {name!r}; allowed: {', '.join(ALL_TASKS)}") from None
