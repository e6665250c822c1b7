"""The ``plansight`` command line.

Examples::

    plansight fly launch/missions/drone_room_stereo.yaml
    plansight fly launch/missions/drone_room_stereo.yaml --seed 3 --duration 20 --runs-dir /tmp/runs
    plansight validate my_mission.yaml
    plansight missions
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

from launch.mission import MissionError, load_mission

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="plansight: launch sim missions, deploy them to hardware, train perception.")
console = Console(stderr=True)
MISSIONS_DIR = Path(__file__).parent / "missions"


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
