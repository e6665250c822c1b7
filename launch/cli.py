"""The ``plansight`` command line.

Examples::

    plansight fly launch/missions/drone_room_stereo.yaml
    plansight fly launch/missions/drone_room_stereo.yaml --seed 3 --duration 20 --runs-dir /tmp/runs
    plansight validate my_mission.yaml
    plansight missions
    plansight collect metaworld --tasks button-press --episodes 5 --res 320x240
    plansight eval metaworld --planner oracle --tasks all --seeds 25
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from launch.collect_metaworld import app as collect_app
from launch.eval_metaworld import app as eval_app
from launch.mission import MissionError, load_mission

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="plansight: launch sim missions, deploy them to hardware, train perception.")
console = Console(stderr=True)
MISSIONS_DIR = Path(__file__).parent / "missions"
app.add_typer(collect_app, name="collect")  # plansight collect metaworld …
app.add_typer(eval_app, name="eval")  # plansight eval metaworld …


def _load(mission: Path, overrides: dict[str, Any]):
    try:
        return load_mission(mission, overrides)
    except MissionError as e:
        console.print(f"[bold red]error:[/] {e}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None


@app.command()
def fly(
    mission: Annotated[Path, typer.Argument(help="mission YAML file")],
    runs_dir: Annotated[Path, typer.Option(help="where run folders are created")] = Path("runs"),
    seed: Annotated[int | None, typer.Option(min=0, help="override the mission's seed")] = None,
    duration: Annotated[float | None, typer.Option(min=0.0, help="override duration_s, seconds")] = None,
    quiet: Annotated[bool, typer.Option(help="no progress bar")] = False,
) -> None:
    """Fly a mission and write its run folder (metrics, events, video, plot, report)."""
    overrides: dict[str, Any] = {}
    if seed is not None:
        overrides["seed"] = seed
    if duration is not None:
        overrides["duration_s"] = duration
    m = _load(mission, overrides)
    from launch.runner import fly as run_mission  # heavy imports (MuJoCo, OpenCV) only when flying

    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("{task.fields[info]}"), TimeRemainingColumn(), console=console,
                  disable=quiet, transient=False) as progress:
        task = progress.add_task(m.name, total=None, info="")

        def on_step(k: int, n: int, info: dict) -> None:
            progress.update(task, completed=k, total=n,
                            info=f"{info['distance_m']:.1f} m, {info['collisions']} collisions")

        result = run_mission(m, runs_dir, on_step=on_step)
    table = Table(title=f"{m.name} → {result.run_dir}", show_header=False)
    for k, v in result.metrics.items():
        table.add_row(k, f"{v:.3f}" if isinstance(v, float) else str(v))
    Console().print(table)
    if not result.ok:
        console.print(f"[bold red]mission {result.status}[/]; run folder kept: {result.run_dir}")
        raise typer.Exit(1)


def _parse_rooms(spec: str) -> list[int]:
    """``"1000-1004"`` or ``"7,9,11"`` → room seeds."""
    try:
        if "-" in spec:
            lo, hi = (int(x) for x in spec.split("-", 1))
            if hi < lo:
                raise ValueError
            return list(range(lo, hi + 1))
        return [int(x) for x in spec.split(",")]
    except ValueError:
        raise typer.BadParameter(f"expected a range like 1000-1004 or a list like 7,9,11, got {spec!r}") from None


@app.command("retrain-depth")
def retrain_depth(
    logs: Annotated[list[Path], typer.Argument(help="flight logs (flight.h5) recorded by missions")],
    out: Annotated[Path, typer.Option(help="checkpoint to write (.safetensors)")] = Path("depth.safetensors"),
    steps: Annotated[int, typer.Option(min=1, help="optimiser steps")] = 1000,
    batch_size: Annotated[int, typer.Option(min=1, max=512)] = 16,
    resume: Annotated[Path | None, typer.Option(help="checkpoint to continue from")] = None,
) -> None:
    """Train the monocular depth network from recorded flight logs (stereo depth as the target)."""
    from agent.learning.checkpoint import CheckpointError
    from agent.learning.flight_log import FlightLogError
    from agent.perception.config_persistent import LearnerConfig
    from launch.retrain_depth import retrain_depth as run

    with Progress(TextColumn("[bold]retrain-depth"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("{task.fields[info]}"), TimeRemainingColumn(), console=console) as progress:
        task = progress.add_task("train", total=steps, info="")

        def on_step(k: int, loss: float | None) -> None:
            progress.update(task, completed=k, info=f"loss {loss:.3f}" if loss is not None else "")

        try:
            summary = run(logs, out, steps, resume, LearnerConfig(batch_size=batch_size), on_step)
        except (FlightLogError, CheckpointError) as e:
            progress.stop()
            console.print(f"[bold red]error:[/] {e}", highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None
    table = Table(title="retrain-depth", show_header=False)
    for k, v in summary.items():
        table.add_row(k, str(v))
    Console().print(table)


@app.command("eval-depth")
def eval_depth(
    checkpoint: Annotated[Path, typer.Option(help="mono depth checkpoint (.safetensors)")],
    rooms: Annotated[str, typer.Option(help="held-out room seeds, e.g. 1000-1004")] = "1000-1004",
    seconds: Annotated[float, typer.Option(min=1.0, help="flight per room, seconds")] = 20.0,
    every: Annotated[int, typer.Option(min=1, help="score every n-th frame")] = 10,
    json_out: Annotated[Path | None, typer.Option("--json", help="also write the figures here")] = None,
) -> None:
    """AbsRel, RMSE and δ<1.25 of mono and stereo depth against ground truth in unseen rooms."""
    from agent.learning.checkpoint import CheckpointError
    from launch.eval_depth import eval_depth as run
    from launch.rundir import write_json

    seeds = _parse_rooms(rooms)
    with Progress(TextColumn("[bold]eval-depth"), BarColumn(), MofNCompleteColumn(), console=console) as progress:
        task = progress.add_task("eval", total=None)
        try:
            result = run(checkpoint, seeds, seconds, every,
                         on_frame=lambda k, n: progress.update(task, completed=k, total=n))
        except CheckpointError as e:
            progress.stop()
            console.print(f"[bold red]error:[/] {e}", highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None
    table = Table("depth vs ground truth", "AbsRel", "RMSE (m)", "δ<1.25", "coverage",
                  title=f"{result['frames']} frames from rooms {rooms} (step {result['train_step']})")
    for name in ("mono", "mono_on_stereo_valid", "stereo"):
        r = result[name]
        table.add_row(name, f"{r['abs_rel']:.4f}", f"{r['rmse_m']:.3f}", f"{r['delta_1.25']:.3f}",
                      f"{r['coverage']:.2f}")
    Console().print(table)
    Console().print(f"mono/stereo AbsRel ratio: {result['mono_to_stereo_abs_rel_ratio']:.2f}")
    if json_out is not None:
        write_json(json_out, result)


@app.command()
def validate(mission: Annotated[Path, typer.Argument(help="mission YAML file")]) -> None:
    """Check a mission file against the schema without flying it."""
    m = _load(mission, {})
    Console().print(f"[green]ok[/]: {mission} ({m.name}, {m.embodiment.type}, {m.duration_s:g} s)")


@app.command()
def missions() -> None:
    """List the ready-made missions that ship with plansight."""
    table = Table("file", "description")
    for p in sorted(MISSIONS_DIR.glob("*.yaml")):
        try:
            desc = load_mission(p).description
        except MissionError as e:
            desc = f"[red]{e}[/]"
        table.add_row(str(p.relative_to(MISSIONS_DIR.parent.parent)), desc)
    Console().print(table)


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s",
                        handlers=[RichHandler(console=console, show_path=False)])
    for noisy in ("matplotlib", "OpenGL", "PIL", "libav"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    app()


if __name__ == "__main__":
    main()
