"""Expert datasets in a robomimic-style HDF5 file (readable with plain h5py, or robomimic's loaders).

Layout (``T`` = steps of a demo, ``H×W`` = image size, ``<cam>`` ∈ corner, corner2, corner3)::

    data/                       attrs: env_args (JSON: benchmark, tasks, cameras, width, height, max_steps,
                                       action_scale_m), total (steps over all demos), format_version
      demo_<i>/                 attrs: task, seed, success (bool), success_step (-1 if never), num_samples
        actions       (T, 4)    float32  Meta-World action in [-1, 1]: dx, dy, dz (× 1 cm), gripper
        rewards       (T,)      float32  Meta-World v2 shaped reward after the action
        dones         (T,)      uint8    1 on the last step
        states        (T, S)    float64  MuJoCo integration state (mj_getState, mjSTATE_INTEGRATION) before
                                         the action: replaying it restores the scene exactly
        obs/
          state       (T, 39)   float64  Meta-World observation before the action (hand xyz [0:3], …)
          <cam>_image (T, H, W, 3) uint8 RGB, upright (corner rotated 180°)
          <cam>_depth (T, H, W) float32  planar depth, metres (absent when env_args "depth" is false)
          <cam>_mask  (T, H, W) bool     the task's object (sim.metaworld.tasks; absent when "masks" is false)
        cameras/<cam>/K           (3, 3) float64 intrinsics (pixels)
        cameras/<cam>/T_world_cam (4, 4) float64 camera (OpenCV frame) → world, metres
    mask/successful, mask/failed    demo names (robomimic filter keys); failed expert demos are kept

``obs[t]`` is what was seen before ``actions[t]`` (robomimic's pairing); there is no ``next_obs``.
The file is written under a temporary name and renamed when complete.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np

from plansight.agent.shared.atomic import atomic_path

FORMAT_VERSION = 1


@dataclass
class Demo:
    """One expert episode as arrays (see the module docstring for shapes and units)."""

    task: str
    seed: int
    success: bool
    success_step: int
    actions: np.ndarray
    rewards: np.ndarray
    states: np.ndarray
    obs: dict[str, np.ndarray]
    cameras: dict[str, dict[str, np.ndarray]]


class DatasetWriter:
    """Appends demos to an open HDF5 file; use through ``open_writer``."""

    def __init__(self, f: h5py.File, env_args: dict) -> None:
        self.f = f
        self.data = f.create_group("data")
        self.data.attrs["env_args"] = json.dumps(env_args, sort_keys=True)
        self.data.attrs["format_version"] = FORMAT_VERSION
        self.names: list[str] = []
        self.success: list[bool] = []
        self.total = 0

    def add(self, demo: Demo) -> str:
        name = f"demo_{len(self.names)}"
        g = self.data.create_group(name)
        g.attrs.update(task=demo.task, seed=int(demo.seed), success=bool(demo.success),
                       success_step=int(demo.success_step), num_samples=len(demo.actions))
        g.create_dataset("actions", data=demo.actions.astype(np.float32))
        g.create_dataset("rewards", data=demo.rewards.astype(np.float32))
        dones = np.zeros(len(demo.actions), np.uint8)
        dones[-1:] = 1
        g.create_dataset("dones", data=dones)
        g.create_dataset("states", data=demo.states.astype(np.float64))
        og = g.create_group("obs")
        for k, v in demo.obs.items():
            big = v.ndim >= 3
            og.create_dataset(k, data=v, compression="lzf" if big else None,
                              chunks=(1, *v.shape[1:]) if big else None)
        cg = g.create_group("cameras")
        for cam, mats in demo.cameras.items():
            for k, v in mats.items():
                cg.create_dataset(f"{cam}/{k}", data=v)
        self.names.append(name)
        self.success.append(bool(demo.success))
        self.total += len(demo.actions)
        return name

    def finish(self) -> None:
        self.data.attrs["total"] = self.total
        m = self.f.create_group("mask")
        pairs = list(zip(self.names, self.success, strict=True))
        m.create_dataset("successful", data=np.array([n for n, s in pairs if s], dtype="S"))
        m.create_dataset("failed", data=np.array([n for n, s in pairs if not s], dtype="S"))


@contextmanager
def open_writer(path: str | Path, env_args: dict) -> Iterator[DatasetWriter]:
    """Write a dataset to ``path`` atomically: nothing appears there unless the block completes."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as f:
        w = DatasetWriter(f, env_args)
        yield w
        w.finish()


class DatasetError(ValueError):
    """Not a plansight Meta-World dataset, or a missing demo."""


def read_info(path: str | Path) -> dict:
    """``env_args`` plus ``demos`` (names), ``successful``, ``failed`` and ``total`` of a dataset file."""
    try:
        with h5py.File(path, "r") as f:
            env_args = json.loads(f["data"].attrs["env_args"])
            return {**env_args, "demos": sorted(f["data"].keys(), key=lambda n: int(n.split("_")[1])),
                    "successful": [n.decode() for n in f["mask/successful"][()]],
                    "failed": [n.decode() for n in f["mask/failed"][()]],
                    "total": int(f["data"].attrs["total"])}
    except (OSError, KeyError) as e:
        raise DatasetError(f"{path}: not a Meta-World expert dataset ({e})") from None


def read_demo(path: str | Path, name: str) -> Demo:
    """Load one demo (``demo_<i>``) fully into memory."""
    with h5py.File(path, "r") as f:
        if f"data/{name}" not in f:
            raise DatasetError(f"{path}: no demo {name!r}")
        g = f["data"][name]
        return Demo(task=str(g.attrs["task"]), seed=int(g.attrs["seed"]), success=bool(g.attrs["success"]),
                    success_step=int(g.attrs["success_step"]), actions=g["actions"][()], rewards=g["rewards"][()],
                    states=g["states"][()], obs={k: v[()] for k, v in g["obs"].items()},
                    cameras={c: {k: v[()] for k, v in g["cameras"][c].items()} for c in g["cameras"]})


def merge_datasets(paths: list[Path], out: str | Path, source: str = "") -> dict:
    """Write every demo of ``paths`` (same image size; each demo keeps its own cameras, ``env_args`` lists their
    union) into one dataset at ``out`` (atomically), in order; demo attributes beyond the layout's (e.g. ``plan``)
    are kept. Returns ``{"demos", "files"}``."""
    env_args: dict | None = None
    count = 0
    with open_writer(out, {}) as w:
        for p in paths:
            info = read_info(p)
            args = {k: v for k, v in info.items() if k not in ("demos", "successful", "failed", "total")}
            if env_args is None:
                env_args = {**args, "source": source or args.get("source", "")}
            elif (args.get("width"), args.get("height")) != (env_args.get("width"), env_args.get("height")):
                raise DatasetError(f"{p}: the image size differs from {paths[0]}'s")
            env_args["cameras"] = sorted({*env_args.get("cameras", []), *args.get("cameras", [])})
            env_args["tasks"] = sorted({*env_args.get("tasks", []), *args.get("tasks", [])})
            w.data.attrs["env_args"] = json.dumps(env_args, sort_keys=True)
            with h5py.File(p, "r") as f:
                for name in info["demos"]:
                    extra = {k: v for k, v in f["data"][name].attrs.items()
                             if k not in ("task", "seed", "success", "success_step", "num_samples")}
                    new = w.add(read_demo(p, name))
                    w.data[new].attrs.update(extra)
                    count += 1
    return {"demos": count, "files": len(paths)}
