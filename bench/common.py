"""Benchmark helpers: machine description, medians, results JSON and the BENCHMARKS.md section."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import platform
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from plansight.agent.shared.stats import wilson  # noqa: F401  (benches import it from here)
from plansight.launch.rundir import write_atomic, write_json

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
BENCHMARKS_MD = ROOT / "BENCHMARKS.md"


def machine() -> dict[str, str | int]:
    cpu = platform.processor() or "unknown CPU"
    try:
        m = re.search(r"model name\s*:\s*(.+)", Path("/proc/cpuinfo").read_text())
        cpu = m.group(1).strip() if m else cpu
    except OSError:
        pass
    return {"cpu": cpu, "cores": len(os.sched_getaffinity(0)), "python": platform.python_version(),
            "platform": platform.platform(), "mujoco_gl": os.environ.get("MUJOCO_GL", "")}


def gl_renderer() -> str:
    """The GL renderer string of the current context (e.g. llvmpipe), or 'unknown'."""
    try:
        from OpenGL import GL

        return GL.glGetString(GL.GL_RENDERER).decode()
    except Exception:
        return "unknown"


def median_rate(fn: Callable[[], float], repeats: int) -> tuple[float, list[float]]:
    """Run ``fn`` (returns a rate) ``repeats`` times; the median and all values."""
    values = [fn() for _ in range(repeats)]
    return statistics.median(values), values


def timed(fn: Callable[[], None]) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def parse_rooms(text: str, tuning: range, held_out: range) -> list[int]:
    """'held-out' (``held_out``), 'tuning' (``tuning``), or a range/list like 100-104,110: a bench's ``--seeds``."""
    if text == "tuning":
        return list(tuning)
    if text == "held-out":
        return list(held_out)
    out: list[int] = []
    for part in text.split(","):
        a, _, b = part.partition("-")
        out.extend(range(int(a), int(b or a) + 1))
    return out


RECORD = False
"""``python -m bench.run --record``: write the record (bench/results, BENCHMARKS.md). Otherwise a bench writes its
figures and its section under ``scratch_dir()`` and leaves the record alone."""


def scratch_dir() -> Path:
    """Where a bench run without ``--record`` puts its figures: ``$PLANSIGHT_BENCH_OUT`` or ``runs/bench``."""
    return Path(os.environ.get("PLANSIGHT_BENCH_OUT", ROOT / "runs" / "bench"))


def _episodes_per_setting(figures: dict) -> str | None:
    n = {s["episodes"] for s in figures["settings"].values()}
    return None if n == {825} else f"{sorted(n)} episodes per setting, the protocol is 11 tasks × 3 cameras × 25 seeds"


def _ablation_protocol(figures: dict) -> str | None:
    if set(figures["seeds"]) & set(range(25)):
        return f"seeds {figures['seeds']} overlap the test seeds 0-24"
    return None if figures["episodes"] >= 66 else f"{figures['episodes']} episodes, the protocol is ≥ 66 (2 seeds)"


PROTOCOLS: dict[str, Callable[[dict], str | None]] = {
    "metaworld_oracle": _episodes_per_setting,
    "executor_ablation": _ablation_protocol,
    "drone_foundation": lambda f: None if len(f["missions"]) >= 10 else f"{len(f['missions'])} missions, need ≥ 10",
    "arm_trajectories": lambda f: None if f["cases"] >= 19 else f"{f['cases']} cases, need all 19",
    "executor_tracking": lambda f: (f"seeds {f['seeds']} overlap the test seeds 0-24" if set(f["seeds"]) & set(range(25))
                                    else None if f["cases"] >= 66 else f"{f['cases']} cases, need ≥ 66"),
    "avoidance_levels": lambda f: (None if f["seed_kind"] == "held-out" and all(v["n"] >= 20 for v in f["levels"].values())
                                   else f"{f['seed_kind']} rooms; the protocol is the 20 held-out rooms 1000-1019 per level"),
    "ardrone_levels": lambda f: (None if f["seed_kind"] == "held-out" and all(v["n"] >= 5 for v in f["levels"].values())
                                 else f"{f['seed_kind']} rooms; the protocol is ≥ 5 held-out rooms per level"),
    "drone_goals_learned": lambda f: (None if f["seed_kind"] == "held-out" and all(v["n"] >= 20 for v in f["pilots"].values())
                                      else f"{f['seed_kind']} rooms; the protocol is the 20 held-out rooms per pilot"),
    "drone_goals": lambda f: (None if f["seed_kind"] == "held-out" and all(v["n"] >= 20 for v in f["pilots"].values())
                              else f"{f['seed_kind']} rooms; the protocol is the 20 held-out rooms 1000-1019 per pilot"),
    "plan_format": lambda f: (f"seeds {f['seeds']} overlap the test seeds 0-24" if set(f["seeds"]) & set(range(25))
                              else None if f["cells"] else "no cell measured"),
    "metaworld_sac": lambda f: (None if len(f["tasks"]) >= 2 and all(t["steps"] >= 20_000 for t in f["tasks"])
                                else "the protocol is 2 tasks of ≥ 20k steps"),
    "rl_crossing": lambda f: (None if f["seed_kind"] == "held-out" and all(
        v["n"] >= 20 for r in f["policies"].values() for v in r.values())
        else "the protocol is the 20 held-out rooms 1000-1019 per level and policy"),
    "video_planner_rgbd": lambda f: (f"seeds {f['seeds']} + {f['quality_seeds']} overlap the test seeds 0-24"
                                     if set(f["seeds"] + f["quality_seeds"]) & set(range(25)) else None),
    "fuzz": lambda f: None if f["scale"] >= 1.0 else f"scale {f['scale']}, the protocol's counts need scale 1",
    "critic": lambda f: (f"held-out seeds {f['test_seeds']} overlap the test seeds 0-24"
                         if f["test_seeds"][0] < 25 else None if f["test"]["plans"] >= 500
                         else f"{f['test']['plans']} held-out plans, need ≥ 500"),
    "mono_depth_ablation": lambda f: (None if len(f["candidates"]) >= 2 and not set(f["rooms"]) & set(range(1000, 1020))
                                      else "the ablation needs ≥ 2 candidates on validation rooms outside 1000-1019"),
    "mono_depth": lambda f: (None if len(f["rooms"]) >= 5 and set(f["rooms"]) <= set(range(1000, 1020))
                             else "the protocol is ≥ 5 held-out rooms within 1000-1019"),
    "mono_depth_stability": lambda f: None if f["minutes"] >= 30 else f"{f['minutes']:g} minutes, need ≥ 30",
    "persistent_ssl": lambda f: (None if f["online_learning_sim_minutes"] >= 10 else
                                 f"{f['online_learning_sim_minutes']} simulated minutes, need ≥ 10"),
}
"""Per section, what a run must cover to replace the record: ``check(figures)`` → None, or why it falls short."""


class ProtocolError(RuntimeError):
    """A ``--record`` run smaller than its section's protocol."""


def _command() -> str:
    """The command line that ran this bench: ``python -m bench.<module> …`` (bench.run or a bench run alone)."""
    script = Path(sys.argv[0]) if sys.argv and sys.argv[0] else Path("run.py")
    module = script.stem if script.parent.name == "bench" else "run"
    return " ".join([f"python -m bench.{module}", *sys.argv[1:]])


def promote(name: str) -> None:
    """Record a finished run's scratch figures (``scratch_dir()/<name>.json`` and ``.md``, written by the same bench
    without ``--record``) as if it had run with ``--record``: same figures, same protocol check, its own date and
    command. For long benches started without ``--record``: they need not run twice."""
    out = scratch_dir()
    try:
        saved = json.loads((out / f"{name}.json").read_text())
        markdown = (out / f"{name}.md").read_text()
    except (OSError, ValueError) as e:
        raise ProtocolError(f"nothing to promote for {name} in {out}: {e}") from None
    global RECORD
    was, RECORD = RECORD, True
    try:
        record(name, saved["figures"], markdown, meta={k: saved[k] for k in ("command", "date", "machine")})
    finally:
        RECORD = was


def record(name: str, figures: dict, markdown: str, meta: dict | None = None) -> None:
    """With ``RECORD``: write ``bench/results/<name>.json`` and replace this benchmark's section in BENCHMARKS.md,
    refusing a run smaller than the section's protocol (``PROTOCOLS``). Without: write both under
    ``scratch_dir()`` only."""
    meta = {"name": name, **(meta or {"command": _command(),
                                     "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                                     "machine": machine()})}
    if not RECORD:
        out = scratch_dir()
        out.mkdir(parents=True, exist_ok=True)
        write_json(out / f"{name}.json", {**meta, "figures": figures})
        write_atomic(out / f"{name}.md", lambda f: f.write(markdown.strip() + "\n"))
        log.info("%s: figures in %s (BENCHMARKS.md untouched; pass --record to record them)", name, out)
        return
    short = PROTOCOLS.get(name, lambda f: None)(figures)
    if short:
        raise ProtocolError(f"not recording {name}: {short}")
    write_json(RESULTS / f"{name}.json", {**meta, "figures": figures})
    begin, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    m = meta["machine"]
    section = (f"{begin}\n{markdown.strip()}\n\nMachine: {m['cpu']}, {m['cores']} cores, Python {m['python']}, "
               f"MUJOCO_GL={m['mujoco_gl']}. Date: {meta['date']}. Command: `make bench` "
               f"(`{meta['command']}`).\n{end}")
    text = BENCHMARKS_MD.read_text() if BENCHMARKS_MD.exists() else "# Benchmarks\n"
    if begin in text and end in text:
        text = text[: text.index(begin)] + section + text[text.index(end) + len(end):]
    else:
        text = text.rstrip() + "\n\n" + section + "\n"
    write_atomic(BENCHMARKS_MD, lambda f: f.write(text))
    from bench import readme_table  # the README's results table follows the record

    readme_table.write()
