"""Export a ``plansight collect metaworld`` file as a LeRobot dataset, written by LeRobot's own
``LeRobotDataset.create`` / ``add_frame`` / ``save_episode`` / ``finalize``.

LeRobot pins torch < 2.11, which clashes with ours, so it lives in a venv of its own (``make lerobot``), and this
script runs there: it imports only h5py, numpy and lerobot, never plansight.

One LeRobot episode per (demo, camera), so a LeRobot policy sees one camera, as ours do:
- ``observation.image`` (H, W, 3) uint8: the camera's RGB frame;
- ``observation.state`` (7,) float32: hand xyz (m), gripper opening, hand motion since the last step (m): the
  proprioception our ACT-JEPA reads (``agent/learning/policy_data.proprio_from_state``), no object pose;
- ``action`` (4,) float32: Meta-World's action in [−1, 1] (dx, dy, dz × 1 cm, gripper);
- ``task``: the task name (e.g. ``door-open``), LeRobot's language field; fps 80 (12.5 ms per env step).

    .venv-lerobot/bin/python launch/lerobot/export_dataset.py --data data/mw_policy_96x72.hdf5 \\
        --out data/lerobot_mw --seeds 10000-10024
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import h5py
import numpy as np

FPS = 80


def proprio(state: np.ndarray) -> np.ndarray:
    """(T, 39) Meta-World state → (T, 7), as plansight's ``proprio_from_state``."""
    s = state.astype(np.float64)
    return np.concatenate([s[:, 0:4], s[:, 0:3] - s[:, 18:21]], axis=1).astype(np.float32)


def seeds_of(spec: str | None) -> set[int] | None:
    if not spec:
        return None
    if "-" in spec:
        lo, hi = (int(x) for x in spec.split("-", 1))
        return set(range(lo, hi + 1))
    return {int(x) for x in spec.split(",")}


def export(data: Path, out: Path, repo_id: str, seeds: set[int] | None, cameras: list[str] | None) -> dict:
    from lerobot.datasets.lerobot_dataset import LeRobotDataset

    with h5py.File(data, "r") as f:
        env = json.loads(f["data"].attrs["env_args"])
        cams = cameras or env["cameras"]
        h, w = env["height"], env["width"]
        features = {
            "observation.image": {"dtype": "image", "shape": (h, w, 3), "names": ["height", "width", "channels"]},
            "observation.state": {"dtype": "float32", "shape": (7,),
                                  "names": ["hand_x", "hand_y", "hand_z", "gripper", "dx", "dy", "dz"]},
            "action": {"dtype": "float32", "shape": (4,), "names": ["dx", "dy", "dz", "gripper"]},
        }
        ds = LeRobotDataset.create(repo_id=repo_id, fps=FPS, root=out, robot_type="sawyer", features=features,
                                   use_videos=False)
        episodes = frames = 0
        for name in sorted(f["data"], key=lambda n: int(n.split("_")[1])):
            g = f["data"][name]
            if not bool(g.attrs["success"]) or (seeds is not None and int(g.attrs["seed"]) not in seeds):
                continue
            state, actions = proprio(g["obs"]["state"][()]), np.clip(g["actions"][()], -1, 1).astype(np.float32)
            for c in cams:
                images = g["obs"][f"{c}_image"][()]
                for t in range(len(actions)):
                    ds.add_frame({"observation.image": images[t], "observation.state": state[t],
                                  "action": actions[t], "task": str(g.attrs["task"])})
                ds.save_episode()
                episodes += 1
                frames += len(actions)
        ds.finalize()
    return {"root": str(out), "episodes": episodes, "frames": frames, "cameras": cams, "fps": FPS}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True, help="the LeRobot dataset's root (must not exist)")
    ap.add_argument("--repo-id", default="plansight/metaworld_experts")
    ap.add_argument("--seeds", help="demo seeds to export, a range 10000-10024 or a list")
    ap.add_argument("--cameras", help="comma-separated cameras (default: all in the file)")
    args = ap.parse_args()
    if not args.data.is_file():
        sys.exit(f"--data: {args.data}: file not found")
    if args.out.exists():
        sys.exit(f"--out: {args.out} exists; LeRobot writes a new dataset root")
    summary = export(args.data, args.out, args.repo_id, seeds_of(args.seeds),
                     args.cameras.split(",") if args.cameras else None)
    sys.stdout.write(json.dumps(summary) + "\n")


if __name__ == "__main__":
    main()
