"""``plansight collect metaworld``: scripted-expert datasets (robomimic-style HDF5, see
``sim/metaworld/dataset.py``).

    plansight collect metaworld --tasks button-press,door-open --cameras corner,corner2,corner3 \\
        --episodes 5 --res 320x240 --out data/metaworld_experts.hdf5
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from plansight.launch.errors import console, fail

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Record datasets.")


@app.command("metaworld")
def collect_metaworld(
    tasks: Annotated[str, typer.Option(
        help="comma-separated tasks, 'all' (the 11 AVDC tasks) or 'act-jepa-15' (ACT-JEPA's 15 tasks)")] = "all",
    cameras: Annotated[str, typer.Option(help="comma-separated cameras, or 'all'")] = "corner,corner2,corner3",
    episodes: Annotated[int, typer.Option(min=1, max=10000, help="expert episodes per task")] = 5,
    res: Annotated[str, typer.Option(help="image size WIDTHxHEIGHT")] = "320x240",
    seed: Annotated[int, typer.Option(min=0, help="seed of the first episode; then seed+1, …")] = 0,
    out: Annotated[Path, typer.Option(help="HDF5 file to write")] = Path("data/metaworld_experts.hdf5"),
    workers: Annotated[int, typer.Option(min=1, max=64, help="rollout processes (the file does not depend on it)")] = 1,
    depth: Annotated[bool, typer.Option(help="record planar depth (video planners need it; policies do not)")] = True,
    masks: Annotated[bool, typer.Option(help="record the task object's masks")] = True,
) -> None:
    """Roll out Meta-World's scripted experts and record RGB, depth, masks, camera matrices, actions, states."""
    from plansight.sim.metaworld.config_metaworld import CAMERAS, ConfigError, parse_list, parse_resolution, parse_tasks

    try:
        task_list = parse_tasks(tasks)
        cam_list = parse_list(cameras, CAMERAS, "cameras")
        width, height = parse_resolution(res)
    except ConfigError as e:
        fail(str(e))
    from plansight.sim.metaworld.collect import collect

    with Progress(TextColumn("[bold]collect"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[info]}"),
                  TimeRemainingColumn(), console=console) as progress:
        bar = progress.add_task("demos", total=len(task_list) * episodes, info="")
        summary = collect(out, task_list, cam_list, episodes, width, height, seed0=seed, workers=workers,
                          depth=depth, masks=masks,
                          on_demo=lambda k, n, d: progress.update(
                              bar, completed=k, info=f"{d.task} seed {d.seed}: "
                              + ("ok" if d.success else "[red]expert failed[/]")))
    console.print(f"[green]wrote[/] {summary['path']}: {summary['demos']} demos, {summary['successful']} "
                    f"successful, {summary['failed']} failed (kept, flagged in mask/failed)")
