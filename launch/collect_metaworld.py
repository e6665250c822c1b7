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


@app.command("plans")
def collect_plans(
    checkpoint: Annotated[str, typer.Option(help="video model folder or builtin:<name>")] = "builtin:video_mw_64x48",
    tasks: Annotated[str, typer.Option(help="comma-separated tasks or 'all' (the 11 AVDC tasks)")] = "all",
    cameras: Annotated[str, typer.Option(help="comma-separated cameras, or 'all'")] = "corner,corner2,corner3",
    seeds: Annotated[str, typer.Option(help="start seeds, e.g. 1100-1199 (never the test seeds 0-24)")] = "1100-1109",
    candidates: Annotated[int, typer.Option(min=1, max=64, help="plans sampled per start, each executed")] = 4,
    res: Annotated[str, typer.Option(help="camera size WIDTHxHEIGHT the plans are executed at")] = "320x240",
    sample_steps: Annotated[int | None, typer.Option(min=1, help="DDIM steps (default: the checkpoint's)")] = None,
    executor: Annotated[list[str] | None, typer.Option(help="executor override FIELD=VALUE (repeatable)")] = None,
    out: Annotated[Path, typer.Option(help="folder of labelled plans (resumed when it exists)")] = Path(
        "data/plan_labels"),
    workers: Annotated[int, typer.Option(min=1, max=64, help="processes (the labels do not depend on it)")] = 1,
) -> None:
    """Sample plans with a video model and label each by executing it (0 replans): a plan critic's data."""
    from plansight.agent.shared.ranges import parse_ints
    from plansight.launch.eval_metaworld import parse_executor
    from plansight.launch.plan_labels import label_plans
    from plansight.sim.metaworld.config_metaworld import CAMERAS, ConfigError, parse_list, parse_resolution, parse_tasks

    try:
        task_list = parse_tasks(tasks)
        cam_list = parse_list(cameras, CAMERAS, "cameras")
        width, height = parse_resolution(res)
        seed_list = parse_ints(seeds, "seeds", bare_is_count=False)
        overrides = parse_executor(executor or [])
    except (ConfigError, ValueError) as e:
        fail(str(e))
    with Progress(TextColumn("[bold]label"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[info]}"),
                  TimeRemainingColumn(), console=console) as progress:
        bar = progress.add_task("starts", total=None, info="")

        def on_start(k: int, n: int, r: tuple | None) -> None:
            info = "" if r is None else f"{r[0]}/{r[1]}/{r[2]}: {sum(r[3])}/{len(r[3])} succeeded"
            progress.update(bar, completed=k, total=n, info=info)

        try:
            summary = label_plans(out, task_list, cam_list, seed_list, checkpoint, candidates, width, height,
                                  sample_steps, overrides, workers, on_start=on_start)
        except ValueError as e:
            fail(str(e))
    console.print(f"[green]labelled[/] {out}: {summary['starts']} starts, {summary['plans']} plans, "
                  f"{summary['successes']} successful")


@app.command("depth")
def collect_depth(
    rooms: Annotated[str, typer.Option(help="training room seeds, e.g. 100-299 (never the held-out 1000-1019)")
                     ] = "100-299",
    levels: Annotated[str, typer.Option(help="comma-separated room levels, cycled over the rooms")
                      ] = "default,dense,maze,easy",
    views: Annotated[int, typer.Option(min=0, max=100_000, help="random views per room (half close to a surface)")
                     ] = 100,
    flight_s: Annotated[float, typer.Option(min=0.0, help="then this many seconds of stereo avoidance flight")] = 20.0,
    every: Annotated[int, typer.Option(min=1, help="keep every n-th flight frame")] = 5,
    res: Annotated[str, typer.Option(help="image size WIDTHxHEIGHT")] = "128x96",
    out: Annotated[Path, typer.Option(help="folder of flight logs, one per room (resumed when it exists)")] = Path(
        "data/depth_views"),
) -> None:
    """Record stereo-labelled images (and ground truth, for evaluation) for monocular depth training."""
    from typing import get_args

    from plansight.agent.shared.ranges import parse_ints
    from plansight.launch.collect_depth import collect_depth as run
    from plansight.sim.drone.config_drone import RoomLevel
    from plansight.sim.metaworld.config_metaworld import ConfigError, parse_list, parse_resolution

    try:
        seeds = parse_ints(rooms, "rooms", bare_is_count=False)
        level_list = parse_list(levels, get_args(RoomLevel), "levels")
        width, height = parse_resolution(res)
    except (ConfigError, ValueError) as e:
        fail(str(e))
    with Progress(TextColumn("[bold]collect depth"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("{task.fields[info]}"), TimeRemainingColumn(), console=console) as progress:
        bar = progress.add_task("rooms", total=len(seeds), info="")
        try:
            summary = run(out, seeds, level_list, views, flight_s, every, width, height,
                          on_room=lambda k, n, p, f: progress.update(bar, completed=k, info=p.name))
        except ValueError as e:
            progress.stop()
            fail(str(e))
    console.print(f"[green]wrote[/] {out}: {summary['rooms']} rooms ({summary['skipped']} already there), "
                  f"{summary['frames']} new frames")


@app.command("drone")
def collect_drone(
    rooms: Annotated[str, typer.Option(help="training room seeds, e.g. 0-199 (never 500-519 or 1000-1019)")] = "0-199",
    mission: Annotated[str, typer.Option(help="goal mission the expert flies (a file or a bundled name)")
                       ] = "drone_goal_expert",
    every: Annotated[int, typer.Option(min=1, max=100, help="log every n-th control step (5: 10 Hz)")] = 5,
    out: Annotated[Path, typer.Option(help="folder of flight logs, one per room (resumed when it exists)")] = Path(
        "data/drone_goals"),
) -> None:
    """Fly the privileged map expert to the goal in training rooms and record flight logs with the task: a drone
    video model's data (plansight train video --data FOLDER)."""
    from plansight.agent.shared.ranges import parse_ints
    from plansight.launch.collect_drone import collect_drone as run
    from plansight.launch.mission import MissionError

    try:
        seeds = parse_ints(rooms, "rooms", bare_is_count=False)
    except ValueError as e:
        fail(str(e))
    with Progress(TextColumn("[bold]collect drone"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("{task.fields[info]}"), TimeRemainingColumn(), console=console) as progress:
        bar = progress.add_task("rooms", total=len(seeds), info="")
        try:
            summary = run(out, seeds, mission, every,
                          on_room=lambda k, n, r: progress.update(
                              bar, completed=k, info=f"room {r['seed']}: "
                              + ("reached" if r["success"] else "[red]missed[/]")))
        except (ValueError, RuntimeError, MissionError) as e:
            progress.stop()
            fail(str(e))
    console.print(f"[green]wrote[/] {out}: {summary['rooms']} rooms ({summary['skipped']} already there), "
                  f"{summary['successes']} reached")
