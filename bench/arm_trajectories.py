"""Held arm episodes: does a refactor change any trajectory? (``python -m bench.run --only arm_trajectories``)

Each case is one ``eval metaworld`` episode (oracle RGB-D plans, 24 frames, 320×240, tuning seeds 100–106, never
the test seeds 0–24), run through ``launch.eval_metaworld.run_episode``. Its trajectory hash is a SHA-1 over every
applied command (dxyz, gripper) and the 39-dim state after it, in order: any change in planning, tracking,
fitting, control or the episode loop changes it. The reference hashes were taken with the code of commit
``REFERENCE_COMMIT`` (the last one before the arm runner and the registry refactor); the bench reports which
cases still match.
"""

from __future__ import annotations

import hashlib
import logging
import time

import numpy as np

from bench.common import RESULTS, record

log = logging.getLogger(__name__)

REFERENCE_COMMIT = "81cca15"
CASES: list[tuple[str, str, int, int, dict]] = [
    ("door-open", "corner", 100, 5, {}), ("shelf-place", "corner2", 101, 5, {}),
    ("faucet-close", "corner3", 102, 5, {}), ("button-press", "corner", 103, 0, {}),
    *[(t, c, s, 5, extra) for t in ("door-close", "hammer", "basketball", "faucet-open", "assembly")
      for c, s, extra in (("corner", 104, {}), ("corner3", 105, {"executor": (("stall_steps", "10"),)}),
                          ("corner2", 106, {"plan_res": (160, 120)}))],
]
"""(task, camera, seed, replans, extra EpisodeSpec fields): seed 105 runs an executor override, 106 a degraded plan."""


def case_key(task: str, camera: str, seed: int, replans: int) -> str:
    return f"{task}|{camera}|{seed}|{replans}"


def trajectory_hashes() -> dict[str, dict]:
    """Run every case; key → sha, success, steps, plans, modes, seconds."""
    from plansight.launch.eval_metaworld import EpisodeSpec, run_episode
    from plansight.sim.metaworld.arm_sim import MetaWorldArm

    digests: list[hashlib._Hash] = []
    act = MetaWorldArm.act

    def hashed_act(self, cmd):  # the bench's probe: every applied command and the state after it
        out = act(self, cmd)
        digests[-1].update(np.asarray([*cmd.dxyz, cmd.gripper], dtype=np.float64).tobytes())
        digests[-1].update(np.asarray(self.raw_obs, dtype=np.float64).tobytes())
        return out

    results = {}
    MetaWorldArm.act = hashed_act
    try:
        for task, camera, seed, replans, extra in CASES:
            digests.append(hashlib.sha1())
            t = time.perf_counter()
            rec = run_episode(EpisodeSpec(task, camera, seed, replans, 320, 240, "oracle", 24, **extra))
            results[case_key(task, camera, seed, replans)] = {
                "sha": digests[-1].hexdigest(), "success": rec["success"], "steps": rec["steps"],
                "plans": rec["plans"], "modes": rec["modes"], "seconds": round(time.perf_counter() - t, 2)}
            log.info("%s: %s", case_key(task, camera, seed, replans), results[case_key(task, camera, seed, replans)])
    finally:
        MetaWorldArm.act = act
    return results


def run() -> dict:
    import json

    ref_file = RESULTS / "arm_trajectories.json"
    reference = json.loads(ref_file.read_text())["figures"]["reference"] if ref_file.exists() else {}
    now = trajectory_hashes()
    same = [k for k in now if reference.get(k, {}).get("sha") == now[k]["sha"]]
    figures = {"reference_commit": REFERENCE_COMMIT, "reference": reference or now, "current": now,
               "identical": len(same), "cases": len(now), "seeds": sorted({s for _, _, s, _, _ in CASES})}
    rows = "\n".join(f"| {k} | {v['success']} | {v['steps']} | {v['plans']} | `{v['sha'][:12]}` | "
                     f"{'same' if k in same else '**differs**'} |" for k, v in now.items())
    record("arm_trajectories", figures, f"""## Arm trajectories: held episodes across refactors

{len(same)} of {len(now)} held episodes (oracle RGB-D plans, 24 frames, 320×240, tuning seeds 100–106; seed 105 with
`--executor stall_steps=10`, seed 106 with `--plan-res 160x120`) follow exactly the trajectory of the reference code
(commit `{REFERENCE_COMMIT}`, before the arm runner and registry refactor): the SHA-1 over every applied command and
the state after it is unchanged.

| Episode (task, camera, seed, replans) | Success | Steps | Plans | Trajectory hash | vs {REFERENCE_COMMIT} |
|---|---|---|---|---|---|
{rows}
""")
    return figures
