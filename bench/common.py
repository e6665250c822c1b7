"""Benchmark helpers: machine description, medians, results JSON and the BENCHMARKS.md section."""

from __future__ import annotations

import datetime as dt
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


def record(name: str, figures: dict, markdown: str) -> None:
    """Write ``bench/results/<name>.json`` and replace this benchmark's section in BENCHMARKS.md."""
    meta = {"name": name, "command": " ".join(["python -m bench.run", *sys.argv[1:]]),
            "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "machine": machine()}
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
