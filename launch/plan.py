"""``plansight plan``: imagine a task from a Meta-World start state with a trained video planner.

    plansight plan --task door-open --camera corner --seed 0 --candidates 4

Writes, in ``--out``: ``observation.png`` (the camera's current frame) and ``plan.gif`` (the observation,
then the predicted frames; several candidates side by side), plus ``plan.json`` (checkpoint, task,
camera, seed, sampler steps and the wall time of the call).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import numpy as np
import typer

from plansight.launch.errors import console, fail  # one-line error, exit status 2

DEFAULT_CHECKPOINT = Path(__file__).parent / "models" / "video_mw_64x48"
"""The video planner trained by ``plansight train video --config launch/configs/video_cpu.yaml`` (BENCHMARKS.md)."""


def plan(
    task: Annotated[str, typer.Option(help="AVDC Meta-World task, e.g. door-open")],
    camera: Annotated[str, typer.Option(help="corner, corner2 or corner3")] = "corner",
    seed: Annotated[int, typer.Option(min=0, help="episode seed (the start state) and the sampler's seed")] = 0,
    candidates: Annotated[int, typer.Option(min=1, max=64, help="plans sampled in one batch")] = 1,
    checkpoint: Annotated[Path, typer.Option(help="model folder from `plansight train video`")] = DEFAULT_CHECKPOINT,
    sample_steps: Annotated[int | None, typer.Option(min=1, max=1000, help="DDIM steps (default: the checkpoint's)")]
    = None,
    res: Annotated[str, typer.Option(help="camera size WIDTHxHEIGHT (the checkpoint's aspect ratio)")] = "320x240",
    out: Annotated[Path, typer.Option(help="folder for observation.png, plan.gif, plan.json")] = Path("runs/plan"),
) -> None:
    """Sample video plans for a task from the current frame and write them as a GIF next to the observation."""
    from PIL import Image

    from plansight.agent.learning.train_video import write_gif
    from plansight.agent.planning.video_planner import DiffusionVideoPlanner, PlannerError
    from plansight.agent.shared.atomic import atomic_path
    from plansight.launch.rundir import write_json
    from plansight.sim.metaworld.arm_sim import MetaWorldArm
    from plansight.sim.metaworld.config_metaworld import ConfigError, make_config, parse_resolution

    try:
        width, height = parse_resolution(res)
        cfg = make_config(task=task, cameras=(camera,), width=width, height=height)
    except (ConfigError, ValueError) as e:
        fail(str(e))
    try:
        planner = DiffusionVideoPlanner(checkpoint, steps=sample_steps)
    except PlannerError as e:
        fail(f"checkpoint: {e}")
    arm = MetaWorldArm(cfg)
    try:
        arm.reset(seed)
        obs = arm.observe((camera,), depth=planner.predicts_depth, masks=False)  # an RGB-D model reads it
        t0 = time.perf_counter()
        try:
            plans = planner.plan(obs, task, camera, n=candidates, seed=seed)
        except PlannerError as e:
            fail(str(e))
        wall = time.perf_counter() - t0
    finally:
        arm.close()
    out.mkdir(parents=True, exist_ok=True)
    img = obs.images[camera]
    with atomic_path(out / "observation.png") as tmp:
        Image.fromarray(img).save(tmp, format="PNG")
    frames = np.concatenate([p.frames for p in plans], axis=2)  # candidates side by side: (F, H, n·W, 3)
    write_gif(out / "plan.gif", frames[0], frames[1:])
    write_json(out / "plan.json", {"checkpoint": str(checkpoint), "task": task, "camera": camera, "seed": seed,
                                   "candidates": candidates, "sample_steps": planner.diffusion.cfg.sample_steps,
                                   "frames": int(plans[0].frames.shape[0]), "seconds": round(wall, 3)})
    console.print(f"wrote {out / 'observation.png'} and {out / 'plan.gif'} ({candidates} plan(s) of "
                  f"{plans[0].frames.shape[0]} frames in {wall:.2f} s)", highlight=False)
