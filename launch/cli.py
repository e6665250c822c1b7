"""The ``plansight`` command line.

Examples::

    plansight run launch/missions/metaworld_door_open.yaml      # any mission: drone or arm
    plansight fly launch/missions/drone_room_stereo.yaml
    plansight fly launch/missions/drone_room_stereo.yaml --seed 3 --duration 20 --runs-dir /tmp/runs
    plansight validate my_mission.yaml
    plansight report runs/drone_room_stereo-20261201-120000     # report.html again, also for a killed run
    plansight missions
    plansight serve-airsim --port 41451 --room 0
    plansight collect metaworld --tasks button-press --episodes 5 --res 320x240
    plansight eval metaworld --planner oracle --tasks all --seeds 25
    plansight train video --data data/mw_train_128x96.hdf5 --config launch/configs/video_cpu.yaml
    plansight train rl --env hover --algo ppo --steps 150000 --out runs/rl/hover
    plansight plan --task door-open --camera corner --candidates 4
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.logging import RichHandler
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from plansight.launch.collect_metaworld import app as collect_app
from plansight.launch.errors import console, fail, out
from plansight.launch.eval_metaworld import app as eval_app
from plansight.launch.mission import MISSIONS_DIR, Mission, MissionError, is_arm, load_mission
from plansight.launch.plan import plan as plan_cmd

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="plansight: launch sim missions, deploy them to hardware, train perception.")
SET_HELP = "override any mission field KEY.PATH=VALUE (YAML value), repeatable: --set safety.max_speed_xy_mps=0.5"
app.add_typer(collect_app, name="collect")  # plansight collect metaworld …
app.add_typer(eval_app, name="eval")  # plansight eval metaworld …
app.command("plan")(plan_cmd)  # plansight plan --task door-open --camera corner


def _seconds(value: float | None) -> float | None:
    """``--duration``: a finite number of seconds ≥ 0 (NaN and inf are not durations)."""
    if value is not None and not (math.isfinite(value) and value >= 0):
        fail(f"--duration: must be a finite number of seconds ≥ 0, got {value}")
    return value


def _writable_dir(path: Path, what: str) -> Path:
    """Create ``path`` (and parents) if needed; one-line failure when it cannot hold files."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        fail(f"{what}: cannot create {path}: {e.strerror}")
    if not os.access(path, os.W_OK | os.X_OK):
        fail(f"{what}: {path} is not writable")
    return path


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            v = version("plansight")
        except PackageNotFoundError:
            v = "unknown (not installed)"
        out.print(f"plansight {v}", highlight=False)
        raise typer.Exit()


@app.callback()
def _main(version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                                help="print the version and exit")] = False) -> None:
    """plansight: launch sim missions, deploy them to hardware, train perception."""


def _load(mission: Path, overrides: dict[str, Any], sets: list[str] | None = None):
    try:
        return load_mission(mission, overrides, sets)
    except MissionError as e:
        fail(str(e))


@app.command("run")
def run(
    mission: Annotated[Path, typer.Argument(help="mission YAML file: a drone or an arm mission")],
    runs_dir: Annotated[Path, typer.Option(help="where run folders are created")] = Path("runs"),
    seed: Annotated[int | None, typer.Option(min=0, help="override the mission's seed")] = None,
    duration: Annotated[float | None, typer.Option(callback=_seconds, help="drone missions: override duration_s, s")
                        ] = None,
    quiet: Annotated[bool, typer.Option(help="no progress bar")] = False,
    set_: Annotated[list[str] | None, typer.Option("--set", help=SET_HELP)] = None,
) -> None:
    """Run any mission (a file, or a bundled mission's name) and write its run folder."""
    _run(mission, runs_dir, seed, duration, quiet, set_)


@app.command()
def fly(
    mission: Annotated[Path, typer.Argument(help="mission YAML file")],
    runs_dir: Annotated[Path, typer.Option(help="where run folders are created")] = Path("runs"),
    seed: Annotated[int | None, typer.Option(min=0, help="override the mission's seed")] = None,
    duration: Annotated[float | None, typer.Option(callback=_seconds, help="override duration_s, seconds")] = None,
    quiet: Annotated[bool, typer.Option(help="no progress bar")] = False,
    set_: Annotated[list[str] | None, typer.Option("--set", help=SET_HELP)] = None,
) -> None:
    """Fly a mission and write its run folder (the same as ``run``; arm missions work too)."""
    _run(mission, runs_dir, seed, duration, quiet, set_)


def _overrides(seed: int | None, duration: float | None) -> dict[str, Any]:
    """Top-level mission keys given on the command line."""
    return {k: v for k, v in (("seed", seed), ("duration_s", duration)) if v is not None}


def _run(mission: Path, runs_dir: Path, seed: int | None, duration: float | None, quiet: bool,
         sets: list[str] | None = None) -> None:
    m = _load(mission, _overrides(seed, None), sets)
    _writable_dir(runs_dir, "--runs-dir")
    if is_arm(m):
        if duration is not None:
            fail("duration: an arm mission runs one episode; its budget is embodiment.max_steps")
        _run_arm(m, runs_dir, quiet)
    else:
        _fly(_load(mission, _overrides(seed, duration), sets) if duration is not None else m, runs_dir, quiet)


def _run_arm(m, runs_dir: Path, quiet: bool) -> None:
    from plansight.launch.arm_mission import run_arm_mission  # heavy imports (MuJoCo, Meta-World) only when run

    def failed(r) -> str | None:
        ok = r.ok and r.metrics.get("success")
        return None if ok else f"mission {r.status}, success: {r.metrics.get('success')}"

    _run_with_progress(m, runs_dir, quiet, run_arm_mission, m.embodiment.max_steps,
                       lambda info: f"{info['plans']} plan(s)" + (", success" if info["success"] else ""), failed)


def _run_with_progress(m, runs_dir: Path, quiet: bool, run_fn, total: int | None,
                       describe: Callable[[dict], str], failed: Callable[[Any], str | None]) -> None:
    """Run ``run_fn(m, runs_dir, on_step=...)`` under a progress bar (``describe`` turns a step's info into its
    text), print the metrics table, and exit 1 with ``failed(result)``'s message when it gives one."""
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("{task.fields[info]}"), TimeRemainingColumn(), console=console,
                  disable=quiet, transient=False) as progress:
        task = progress.add_task(m.name, total=total, info="")

        def on_step(k: int, n: int, info: dict) -> None:
            progress.update(task, completed=k, total=n, info=describe(info))

        result = run_fn(m, runs_dir, on_step=on_step)
    _print_result(m.name, result)
    why = failed(result)
    if why is not None:
        console.print(f"[bold red]{why}[/]; run folder kept: {result.run_dir}")
        raise typer.Exit(1)


def _print_result(name: str, result) -> None:
    table = Table(title=f"{name} → {result.run_dir}", show_header=False)
    for k, v in result.metrics.items():
        if not isinstance(v, (dict, list)):
            table.add_row(k, f"{v:.3f}" if isinstance(v, float) else str(v))
    out.print(table)


def _fly(m: Mission, runs_dir: Path, quiet: bool) -> None:
    from plansight.launch.runner import fly as run_mission  # heavy imports (MuJoCo, OpenCV) only when flying

    _run_with_progress(m, runs_dir, quiet, run_mission, None,
                       lambda info: f"{info['distance_m']:.1f} m, {info['collisions']} collisions",
                       lambda r: None if r.ok else f"mission {r.status}")


@app.command()
def deploy(
    mission: Annotated[Path, typer.Argument(help="mission YAML file (a simulation mission works too)")],
    drone: Annotated[str, typer.Option(help="hardware to fly: ardrone")] = "ardrone",
    host: Annotated[str | None, typer.Option(help="drone address, e.g. 192.168.1.1; default: the mission's "
                                                  "host, or a loopback emulator started here")] = None,
    runs_dir: Annotated[Path, typer.Option(help="where run folders are created")] = Path("runs"),
    seed: Annotated[int | None, typer.Option(min=0, help="override the mission's seed (emulator room)")] = None,
    duration: Annotated[float | None, typer.Option(callback=_seconds, help="override duration_s, seconds")] = None,
    quiet: Annotated[bool, typer.Option(help="no progress bar")] = False,
    set_: Annotated[list[str] | None, typer.Option("--set", help=SET_HELP)] = None,
    yes: Annotated[bool, typer.Option("--yes", help="take off a real drone (a host) without asking")] = False,
) -> None:
    """Fly a mission on hardware through its bridge; same run folder as a simulated mission."""
    import sys

    from plansight.launch.deploy import deploy_mission

    m = _load(mission, _overrides(seed, duration), set_)
    if is_arm(m):
        fail(f"{mission}: an arm mission cannot be deployed to a drone; run it with `plansight run`")
    try:
        m = deploy_mission(m, drone, host)
    except MissionError as e:
        fail(str(e))
    target = getattr(m.embodiment, "host", None)
    if target is not None and not yes:  # a real vehicle (the loopback emulator has no host)
        if not sys.stdin.isatty():
            fail(f"--yes: a real take-off (the drone at {target}) needs --yes, or a confirmation on a terminal")
        if not typer.confirm(f"Take off the drone at {target}? Keep people clear of the propellers"):
            fail("take-off not confirmed; nothing was sent")
    _writable_dir(runs_dir, "--runs-dir")
    _fly(m, runs_dir, quiet)


train_app = typer.Typer(no_args_is_help=True, help="Train models from data we collect or fly.")
app.add_typer(train_app, name="train")


@train_app.command("video")
def train_video_cmd(
    data: Annotated[list[Path], typer.Option(help="expert dataset (HDF5) from `plansight collect metaworld`, or a "
                                             "folder of drone flight logs from `plansight collect drone`; repeat "
                                             "to train on several as one")],
    out: Annotated[Path, typer.Option(help="run folder: model/, state/, logs/, samples/")] = Path("runs/video"),
    config: Annotated[Path | None, typer.Option(help="training config YAML (TrainVideoConfig fields)")] = None,
    steps: Annotated[int | None, typer.Option(min=1, help="override steps")] = None,
    batch_size: Annotated[int | None, typer.Option(min=1, help="override batch_size")] = None,
    resume: Annotated[bool, typer.Option(help="continue from out/state")] = False,
) -> None:
    """Train the first-frame- and task-conditioned video diffusion planner (accelerate: CPU or GPUs)."""
    from plansight.launch.train_video import load_train_config, run

    try:
        cfg = load_train_config(config, {"steps": steps, "batch_size": batch_size})
    except MissionError as e:
        fail(str(e))
    with Progress(TextColumn("[bold]train video"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[info]}"),
                  TimeRemainingColumn(), console=console) as progress:
        task = progress.add_task("train", total=cfg.steps, info="")

        def on_step(k: int, loss: float) -> None:
            progress.update(task, completed=k, info=f"loss {loss:.4f}")

        try:
            summary = run(data, out, cfg, resume, on_step)
        except (ValueError, FileNotFoundError) as e:
            progress.stop()
            fail(str(e))
    _print_summary("train video", summary)


@train_app.command("refiner")
def train_refiner_cmd(
    data: Annotated[list[Path], typer.Option(help="expert dataset (HDF5) from `plansight collect metaworld`; repeat "
                                             "to train on several as one")],
    base: Annotated[str, typer.Option(help="the video model whose plans are refined (a folder or builtin:NAME)")] = (
        "builtin:video_mw_64x48"),
    out: Annotated[Path, typer.Option(help="run folder: pairs/, model/, state/, log.jsonl")] = Path("runs/refiner"),
    config: Annotated[Path | None, typer.Option(help="config YAML (TrainRefinerConfig fields)")] = None,
    steps: Annotated[int | None, typer.Option(min=1, help="override steps")] = None,
    pairs: Annotated[int | None, typer.Option(min=1, help="override pairs (clips in the pair bank)")] = None,
    threads: Annotated[int, typer.Option(min=1, max=64, help="torch threads")] = 2,
    resume: Annotated[bool, typer.Option(help="continue from out/state")] = False,
) -> None:
    """Train the self-conditioned refiner (VideoAgent) on the base model's own plans and the true futures; it runs as
    refiner {type: self_conditioned, checkpoint: OUT/model}."""
    from plansight.agent.planning.config_refine import TrainRefinerConfig
    from plansight.launch.train_video import load_config_file

    try:
        cfg = load_config_file(config, {"steps": steps, "pairs": pairs}, TrainRefinerConfig)
    except MissionError as e:
        fail(str(e))
    _writable_dir(out, "--out")
    import torch

    torch.set_num_threads(threads)
    from plansight.agent.learning.train_refiner import train_refiner

    with Progress(TextColumn("[bold]train refiner"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("{task.fields[info]}"), TimeRemainingColumn(), console=console) as progress:
        task = progress.add_task("train", total=cfg.steps, info="")

        def on_step(k: int, loss: float) -> None:
            progress.update(task, completed=k, info=f"loss {loss:.4f}")

        try:
            summary = train_refiner(data, base, out, cfg, resume, on_step)
        except (ValueError, FileNotFoundError) as e:
            progress.stop()
            fail(str(e))
    _print_summary("train refiner", summary)


@train_app.command("critic")
def train_critic_cmd(
    labels: Annotated[Path, typer.Option(help="labelled plans from `plansight collect plans`")] = Path(
        "data/plan_labels"),
    out: Annotated[Path, typer.Option(help="run folder: model.safetensors, log.jsonl")] = Path("runs/critic"),
    encoder: Annotated[str | None, typer.Option(help="override encoder: cnn or act_jepa (frozen)")] = None,
    config: Annotated[Path | None, typer.Option(help="config YAML (TrainCriticConfig fields)")] = None,
    steps: Annotated[int | None, typer.Option(min=1, help="override steps")] = None,
    threads: Annotated[int, typer.Option(min=1, max=64, help="torch threads")] = 2,
) -> None:
    """Train the plan critic on executed plans; it runs as critic {type: learned, checkpoint: OUT/model.safetensors}
    and is measured by `python -m bench.critic`."""
    from plansight.agent.planning.config_critic import TrainCriticConfig
    from plansight.launch.train_video import load_config_file

    try:
        cfg = load_config_file(config, {"steps": steps, "encoder": encoder}, TrainCriticConfig)
    except MissionError as e:
        fail(str(e))
    _writable_dir(out, "--out")
    import torch

    torch.set_num_threads(threads)
    from plansight.agent.learning.train_critic import train_critic

    with Progress(TextColumn("[bold]train critic"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("{task.fields[info]}"), TimeRemainingColumn(), console=console) as progress:
        task = progress.add_task("train", total=cfg.steps, info="")
        last: dict[str, float] = {}

        def on_step(k: int, loss: float, val_auc: float | None) -> None:
            if val_auc is not None:
                last["auc"] = val_auc
            info = f"loss {loss:.4f}" + (f", val AUC {last['auc']:.3f}" if "auc" in last else "")
            progress.update(task, completed=k, info=info)

        try:
            summary = train_critic(labels, out, cfg, on_step)
        except (ValueError, FileNotFoundError) as e:
            progress.stop()
            fail(str(e))
    _print_summary("train critic", {k: v for k, v in summary.items() if k != "train_config"})


@app.command()
def improve(
    out: Annotated[Path, typer.Option(help="run folder: improve.json, round_<r>/ (resumed when it exists)")] = Path(
        "runs/improve"),
    rounds: Annotated[int, typer.Option(min=1, max=100, help="rounds to have finished")] = 3,
    config: Annotated[Path | None, typer.Option(help="config YAML (ImproveConfig fields)")] = None,
    base: Annotated[str | None, typer.Option(help="override base: round 0's video model")] = None,
    data: Annotated[list[str] | None, typer.Option(help="override data: the base's expert datasets (repeat)")] = None,
    critic: Annotated[str | None, typer.Option(help="override critic: round 0's plan critic")] = None,
    tasks: Annotated[str | None, typer.Option(help="override tasks: comma-separated, or 'all'")] = None,
    seeds_per_round: Annotated[int | None, typer.Option(min=1, help="override seeds_per_round")] = None,
    workers: Annotated[int | None, typer.Option(min=1, max=64, help="override workers (labelling processes)")] = None,
    threads: Annotated[int, typer.Option(min=1, max=64, help="torch threads for the finetunes")] = 2,
) -> None:
    """Online self-improvement: each round plans on training seeds, executes, keeps Meta-World's verified
    successes with their real videos, finetunes the model (and refiner, critic), and logs B-STaR's monitors."""
    from plansight.launch.config_improve import ImproveConfig
    from plansight.launch.train_video import load_config_file
    from plansight.sim.metaworld.config_metaworld import ConfigError, parse_tasks

    try:
        task_list = tuple(parse_tasks(tasks)) if tasks else None
        cfg = load_config_file(config, {"base": base, "data": tuple(data) if data else None, "critic": critic,
                                        "tasks": task_list, "seeds_per_round": seeds_per_round,
                                        "workers": workers}, ImproveConfig)
    except (MissionError, ConfigError) as e:
        fail(str(e))
    _writable_dir(out, "--out")
    import torch

    torch.set_num_threads(threads)
    from plansight.launch.improve import improve as run_improve

    with Progress(TextColumn("[bold]improve"), TextColumn("{task.fields[stage]}"), BarColumn(),
                  MofNCompleteColumn(), TimeRemainingColumn(), console=console) as progress:
        bar = progress.add_task("improve", total=None, stage="")
        try:
            docs = run_improve(cfg, out, rounds,
                               on_stage=lambda s: progress.update(bar, stage=s),
                               on_start=lambda k, n, _r: progress.update(bar, completed=k, total=n))
        except (ValueError, FileNotFoundError) as e:
            progress.stop()
            fail(str(e))
    for d in docs:
        m = d["monitors"]
        console.print(f"round {d['round']}: {m['mean_success']['k']}/{m['mean_success']['n']} plans succeeded, "
                      f"pass@n {m['pass_at_n']['k']}/{m['pass_at_n']['n']}, {d['successes_recorded']} videos kept; "
                      f"next n={d['next']['candidates']}, guidance={d['next']['guidance']} ({d['why']})")


@train_app.command("jepa")
def train_jepa_cmd(
    data: Annotated[list[Path] | None, typer.Option(
        help="expert dataset (HDF5) from `plansight collect metaworld`; repeat to train on several as one")] = None,
    logs: Annotated[list[Path] | None, typer.Option(
        help="drone flight logs (flight.h5 of missions flown with record.dataset) instead of --data: the drone "
             "encoder, self-supervised on the flights' own future")] = None,
    out: Annotated[Path, typer.Option(help="run folder: model.safetensors, state.safetensors, log.jsonl, tb/")] = Path(
        "runs/act_jepa"),
    config: Annotated[Path | None, typer.Option(help="config YAML (ActJepaConfig fields)")] = None,
    steps: Annotated[int | None, typer.Option(min=1, help="override steps")] = None,
    batch_size: Annotated[int | None, typer.Option(min=2, help="override batch_size")] = None,
    jepa_weight: Annotated[float | None, typer.Option(
        min=0.0, help="override jepa_weight (0 trains the ACT baseline: the same network, no JEPA term)")] = None,
    seeds: Annotated[str | None, typer.Option(
        help="train on the demos of these seeds only, a range 10000-10024 or a list (the rest stay held out)")] = None,
    tasks: Annotated[str | None, typer.Option(
        help="train on these tasks only: comma-separated, 'all' (the 11 AVDC tasks) or 'act-jepa-15'")] = None,
    threads: Annotated[int, typer.Option(min=1, max=64, help="torch threads")] = 2,
    resume: Annotated[bool, typer.Option(help="continue from out/state.safetensors")] = False,
) -> None:
    """Train ACT-JEPA (or its ACT baseline) on expert demos, or the drone encoder on flight logs; an arm model runs
    as arm_policy {type: act_jepa, checkpoint: OUT}."""
    from plansight.agent.shared.ranges import parse_ints
    from plansight.launch.train_jepa import load_jepa_config, run_train_jepa

    if (data is None) == (logs is None):
        fail("give --data (Meta-World expert demos) or --logs (drone flight logs), not both")
    if logs is not None and seeds:
        fail("--seeds: selects Meta-World demos; with --logs, pass the flight logs to train on")
    try:
        cfg = load_jepa_config(config, {"steps": steps, "batch_size": batch_size, "jepa_weight": jepa_weight})
        seed_list = parse_ints(seeds, "seeds", bare_is_count=False) if seeds else None
        task_list = None
        if tasks:
            from plansight.sim.metaworld.config_metaworld import parse_tasks

            task_list = parse_tasks(tasks)
    except (MissionError, ValueError) as e:
        fail(str(e))
    _writable_dir(out, "--out")
    with Progress(TextColumn("[bold]train jepa"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[info]}"),
                  TimeRemainingColumn(), console=console) as progress:
        task = progress.add_task("train", total=cfg.steps, info="")

        def on_step(k: int, losses: dict[str, float]) -> None:
            progress.update(task, completed=k, info=f"action {losses['action']:.4f} latent {losses['latent']:.4f}")

        try:
            summary = run_train_jepa(data or logs, out, cfg, resume, threads, on_step, seed_list,
                                     flights=logs is not None, tasks=task_list)
        except (ValueError, FileNotFoundError) as e:
            progress.stop()
            fail(str(e))
    _print_summary("train jepa", summary)


@train_app.command("rl")
def train_rl_cmd(
    env: Annotated[str, typer.Option(help="task: hover, waypoint or crossing (plansight/Drone*-v0)")],
    algo: Annotated[str, typer.Option(help="stable-baselines3 algorithm: ppo, sac or td3")] = "ppo",
    steps: Annotated[int, typer.Option(min=1, help="environment steps in all (--resume: the new total)")] = 100_000,
    out: Annotated[Path, typer.Option(help="model folder: model.zip, config.json, checkpoints/, tb/")] = Path(
        "runs/rl"),
    n_envs: Annotated[int, typer.Option(min=1, max=64, help="env processes")] = 2,
    seed: Annotated[int, typer.Option(min=0)] = 0,
    eval_every: Annotated[int, typer.Option(min=1, help="evaluate every this many steps")] = 10_000,
    checkpoint_every: Annotated[int, typer.Option(min=1, help="checkpoint every this many steps")] = 20_000,
    resume: Annotated[bool, typer.Option(help="continue from the newest checkpoint in --out")] = False,
) -> None:
    """Reinforcement learning on a drone task with stable-baselines3: progress bar, TensorBoard (OUT/tb), an
    evaluation callback, SB3 zip checkpoints; the result flies in a mission as policy {type: rl, model: OUT}."""
    from plansight.agent.learning.rl_algos import ALGOS
    from plansight.launch.train_rl import task_env_id, train_rl

    try:
        task_env_id(env)
    except ValueError as e:
        fail(f"--env: {e}")
    if algo not in ALGOS:
        fail(f"--algo: unknown algorithm {algo!r}; choose from {', '.join(sorted(ALGOS))}")
    _writable_dir(out, "--out")
    with Progress(TextColumn(f"[bold]train rl {env} {algo}"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("{task.fields[info]}"), TimeRemainingColumn(), console=console) as progress:
        task = progress.add_task("train", total=steps, info="")

        def on_step(k: int, mean_return: float | None) -> None:
            progress.update(task, completed=k, info="" if mean_return is None else f"return {mean_return:.1f}")

        try:
            summary = train_rl(env, algo, steps, out, n_envs=n_envs, seed=seed, resume=resume, eval_every=eval_every,
                               checkpoint_every=checkpoint_every, on_step=on_step)
        except ValueError as e:
            progress.stop()
            fail(str(e))
    _print_summary("train rl", summary)


emulate_app = typer.Typer(no_args_is_help=True, help="Loopback hardware emulators that speak the real protocols.")
app.add_typer(emulate_app, name="emulate")


@emulate_app.command("ardrone")
def emulate_ardrone(
    host: Annotated[str, typer.Option(help="address to bind")] = "127.0.0.1",
    at_port: Annotated[int, typer.Option(min=0, max=65535, help="UDP AT port (0 = any free)")] = 5556,
    navdata_port: Annotated[int, typer.Option(min=0, max=65535, help="UDP navdata port")] = 5554,
    video_port: Annotated[int, typer.Option(min=0, max=65535, help="TCP video port")] = 5555,
    control_port: Annotated[int, typer.Option(min=0, max=65535, help="TCP control port")] = 5559,
    seed: Annotated[int, typer.Option(min=0, help="room seed of the simulated world")] = 0,
    loss: Annotated[float, typer.Option(min=0.0, max=1.0, help="UDP packet loss probability")] = 0.0,
    latency_ms: Annotated[float, typer.Option(min=0.0, max=1000.0, help="added one-way UDP delay")] = 0.0,
    header_size: Annotated[int, typer.Option(help="PaVE header size: 64, or 68 like some firmwares")] = 64,
) -> None:
    """Serve an emulated AR.Drone 2.0 (AT, navdata, H.264 video, config) over our MuJoCo quadrotor."""
    import threading

    from plansight.hardware.ardrone.config_ardrone import EmulatorConfig, PortsConfig
    from plansight.launch.deploy import fault_config, run_emulator

    if header_size not in (64, 68):
        raise typer.BadParameter(f"header size must be 64 or 68, got {header_size}", param_hint="--header-size")
    cfg = EmulatorConfig(faults=fault_config(loss, latency_ms, seed), pave_header_size=header_size)
    ports = PortsConfig(at=at_port, navdata=navdata_port, video=video_port, control=control_port)
    stop = threading.Event()
    try:
        run_emulator(cfg, host, ports, seed, stop)
    except OSError as e:
        fail(f"cannot bind {host}: {e}")
    except KeyboardInterrupt:
        stop.set()


def _builtin(path: Path | None) -> Path | None:
    """``builtin:<name>`` → the shipped model (``plansight.agent.shared.builtin``); other paths unchanged."""
    from plansight.agent.shared.builtin import resolve_model

    if path is None:
        return None
    try:
        return resolve_model(str(path))
    except ValueError as e:
        fail(str(e))


def _print_summary(title: str, summary: dict) -> None:
    table = Table(title=title, show_header=False)
    for k, v in summary.items():
        table.add_row(k, str(v))
    out.print(table)


def _parse_rooms(spec: str) -> list[int]:
    """``"1000-1004"`` or ``"7,9,11"`` → room seeds."""
    from plansight.agent.shared.ranges import parse_ints

    try:
        return parse_ints(spec, "rooms", bare_is_count=False)
    except ValueError as e:
        raise typer.BadParameter(str(e)) from None


def _learner_config(batch_size: int, lr: float, loss: str):
    from pydantic import ValidationError

    from plansight.agent.perception.config_persistent import LearnerConfig

    try:
        return LearnerConfig(batch_size=batch_size, learning_rate=lr, loss=loss)
    except ValidationError as e:
        fail(f"--loss: {e.errors()[0]['msg']}")


def _net_config(channels: str | None):
    from pydantic import ValidationError

    from plansight.agent.perception.config_persistent import MonoNetConfig

    if channels is None:
        return None
    try:
        return MonoNetConfig(channels=tuple(int(c) for c in channels.split(",")))
    except ValueError as e:  # a bad integer, or pydantic's ValidationError (a ValueError too)
        msg = e.errors()[0]["msg"] if isinstance(e, ValidationError) else str(e)
        fail(f"--channels: {channels!r}: {msg}")


@app.command("retrain-depth")
def retrain_depth(
    logs: Annotated[list[Path], typer.Argument(help="flight logs (flight.h5) recorded by missions")],
    out: Annotated[Path, typer.Option(help="checkpoint to write (.safetensors)")] = Path("depth.safetensors"),
    steps: Annotated[int, typer.Option(min=1, help="optimiser steps")] = 1000,
    batch_size: Annotated[int, typer.Option(min=1, max=512)] = 16,
    resume: Annotated[Path | None, typer.Option(help="checkpoint to continue from")] = None,
    checkpoint_every: Annotated[int, typer.Option(min=1, help="write --out every this many steps too (and "
                                                  "every 30 s), so a killed run resumes with --resume OUT")] = 100,
    lr: Annotated[float, typer.Option(min=1e-7, max=1.0, help="learning rate (AdamW)")] = 1e-3,
    lr_decay_steps: Annotated[int | None, typer.Option(
        min=1, help="cosine decay of the learning rate to 0 at this optimiser step (a resumed run keeps the "
        "schedule); default: constant")] = None,
    loss: Annotated[str, typer.Option(help="gaussian_nll (mean and variance by the NLL) or l1_log (mean by L1 on "
                                      "log depth, variance by the NLL)")] = "gaussian_nll",
    channels: Annotated[str | None, typer.Option(help="encoder widths of a new network, comma-separated, e.g. "
                                                 "24,48,64,96,128 (default 16,32,48,64,96)")] = None,
) -> None:
    """Train the monocular depth network from recorded flight logs (stereo depth as the target)."""
    from plansight.agent.learning.checkpoint import CheckpointError
    from plansight.agent.learning.flight_log import FlightLogError
    from plansight.launch.retrain_depth import retrain_depth as run

    if out.is_dir():  # checked before training: a result with nowhere to go would be lost
        fail(f"--out: {out} is a folder; give a file name like {out / 'depth.safetensors'}")
    if out.suffix != ".safetensors":
        fail(f"--out: {out} must end in .safetensors")
    parent = out.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        fail(f"--out: cannot write into {parent} (not a writable folder)")
    learner_cfg = _learner_config(batch_size, lr, loss)
    net_cfg = _net_config(channels)
    with Progress(TextColumn("[bold]retrain-depth"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("{task.fields[info]}"), TimeRemainingColumn(), console=console) as progress:
        task = progress.add_task("train", total=steps, info="")

        def on_step(k: int, loss: float | None) -> None:
            progress.update(task, completed=k, info=f"loss {loss:.3f}" if loss is not None else "")

        try:
            summary = run(logs, out, steps, _builtin(resume), learner_cfg,
                          on_step, checkpoint_every, lr_decay_steps, net_cfg)
        except (FlightLogError, CheckpointError, ValueError) as e:
            progress.stop()
            fail(str(e))
    _print_summary("retrain-depth", summary)


@app.command("eval-depth")
def eval_depth(
    checkpoint: Annotated[Path, typer.Option(help="mono depth checkpoint (.safetensors)")],
    rooms: Annotated[str, typer.Option(help="held-out room seeds, e.g. 1000-1004")] = "1000-1004",
    seconds: Annotated[float, typer.Option(min=1.0, help="flight per room, seconds")] = 20.0,
    every: Annotated[int, typer.Option(min=1, help="score every n-th frame")] = 10,
    json_out: Annotated[Path | None, typer.Option("--json", help="also write the figures here")] = None,
) -> None:
    """AbsRel, RMSE and δ<1.25 of mono and stereo depth against ground truth in unseen rooms."""
    from plansight.agent.learning.checkpoint import CheckpointError
    from plansight.launch.eval_depth import eval_depth as run
    from plansight.launch.rundir import write_json

    seeds = _parse_rooms(rooms)
    checkpoint = _builtin(checkpoint)
    with Progress(TextColumn("[bold]eval-depth"), BarColumn(), MofNCompleteColumn(), console=console) as progress:
        task = progress.add_task("eval", total=None)
        try:
            result = run(checkpoint, seeds, seconds, every,
                         on_frame=lambda k, n: progress.update(task, completed=k, total=n))
        except CheckpointError as e:
            progress.stop()
            fail(str(e))
    table = Table("depth vs ground truth", "AbsRel", "RMSE (m)", "δ<1.25", "coverage",
                  title=f"{result['frames']} frames from rooms {rooms} (step {result['train_step']})")
    from plansight.launch.eval_depth import ROWS

    for name in ROWS:
        r = result[name]
        table.add_row(name, f"{r['abs_rel']:.4f}", f"{r['rmse_m']:.3f}", f"{r['delta_1.25']:.3f}",
                      f"{r['coverage']:.2f}")
    out.print(table)
    ci = result["ratio_ci95"]
    out.print(f"mono/stereo AbsRel ratio: {result['mono_to_stereo_abs_rel_ratio']:.2f} metric (95 % "
              f"{ci['metric'][0]:.2f}-{ci['metric'][1]:.2f}), {result['aligned_mono_to_stereo_abs_rel_ratio']:.2f} "
              f"scale-and-shift aligned ({ci['aligned'][0]:.2f}-{ci['aligned'][1]:.2f}; {ci['method']})")
    if json_out is not None:
        write_json(json_out, result)


@app.command("serve-airsim")
def serve_airsim(
    port: Annotated[int, typer.Option(min=0, max=65535, help="TCP port (AirSim's ApiServerPort)")] = 41451,
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    room: Annotated[int, typer.Option(min=0, help="room seed")] = 0,
    mission: Annotated[Path | None, typer.Option(help="take the simulator config from this mission file")] = None,
    clock_speed: Annotated[float | None, typer.Option(min=0.01, help="sim s per wall s; default: lock-stepped")] = None,
) -> None:
    """Serve AirSim's multirotor API (msgpack-rpc) over our MuJoCo quadrotor, for AirSim scripts and missions."""
    from plansight.launch.serve_airsim import serve_airsim as run

    try:
        run(host, port, room, mission, clock_speed)
    except MissionError as e:
        fail(str(e))
    except OSError as e:
        fail(f"cannot listen on {host}:{port}: {e}")


@app.command()
def validate(
    mission: Annotated[Path, typer.Argument(help="mission YAML file, or a bundled mission's name")],
    set_: Annotated[list[str] | None, typer.Option("--set", help=SET_HELP)] = None,
) -> None:
    """Check a mission file against the schema without flying it."""
    m = _load(mission, {}, set_)
    length = f"{m.embodiment.max_steps} steps" if is_arm(m) else f"{m.duration_s:g} s"
    out.print(f"[green]ok[/]: {mission} ({m.name}, {m.embodiment.type}, {length})", soft_wrap=True)


@app.command("show-config")
def show_config(
    mission: Annotated[Path, typer.Argument(help="mission YAML file, or a bundled mission's name")],
    set_: Annotated[list[str] | None, typer.Option("--set", help=SET_HELP)] = None,
) -> None:
    """Print the fully resolved mission (every default written out) as YAML."""
    import yaml

    m = _load(mission, {}, set_)
    out.print(yaml.safe_dump(m.model_dump(mode="json"), sort_keys=False, width=1000).rstrip(), highlight=False,
              markup=False, soft_wrap=True)


@app.command()
def report(
    run_dir: Annotated[Path, typer.Argument(help="a run folder (runs/<mission>-<time>/), finished or killed")],
) -> None:
    """Write a run folder's report.html again from its files; a killed run's report says so and shows what its
    recordings hold (frames that play, flight-log frames and distance, events up to the last one written)."""
    from plansight.launch.report_run import RunDirError, report_run

    try:
        r = report_run(run_dir)
    except RunDirError as e:
        fail(str(e))
    except OSError as e:
        fail(f"{run_dir}: cannot write the report: {e.strerror or e}")
    state = "interrupted run" if r.interrupted else r.status
    found = ", ".join(f"{k}={v}" for k, v in r.recovered.items())
    out.print(f"[green]wrote[/] {r.path} ({state}; {r.events} events" + (f"; {found}" if found else "") + ")",
              soft_wrap=True, highlight=False)


@app.command()
def missions() -> None:
    """List the ready-made missions that ship with plansight (run one by name: plansight run drone_room_stereo)."""
    table = Table("name", "kind", "description")
    for p in sorted(MISSIONS_DIR.glob("*.yaml")):
        try:
            m = load_mission(p)
            kind, desc = ("arm" if is_arm(m) else "drone"), m.description
        except MissionError as e:
            kind, desc = "?", f"[red]{e}[/]"
        table.add_row(p.stem, kind, desc)
    out.print(table)


def main() -> None:
    import sys

    if not sys.stdout.isatty():  # piped --help: wide enough that no default is cut short
        os.environ.setdefault("TERMINAL_WIDTH", "160")
    if sys.stderr.isatty():
        handler: logging.Handler = RichHandler(console=console, show_path=False)
        logging.basicConfig(level=logging.INFO, format="%(message)s", handlers=[handler])
    else:  # piped or logged: one plain line per record, no padding to the console's width
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                            datefmt="%H:%M:%S")
    for noisy in ("matplotlib", "OpenGL", "PIL", "libav"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    app()


if __name__ == "__main__":
    main()
