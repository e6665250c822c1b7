"""The command line's consoles and its one way to refuse bad input: a one-line red ``error:`` on stderr and exit
status 2.

``console`` (stderr: progress, logs, errors) and ``out`` (stdout: tables and results) wrap at the terminal's width
on a terminal and never when piped or logged (rich would wrap at 80 columns there and split paths).
"""

from __future__ import annotations

import sys
from typing import NoReturn

import typer
from rich.console import Console


def _console(stderr: bool) -> Console:
    stream = sys.stderr if stderr else sys.stdout
    piped = not (hasattr(stream, "isatty") and stream.isatty())
    return Console(stderr=stderr, width=1000 if piped else None, soft_wrap=piped)


console = _console(stderr=True)
out = _console(stderr=False)


def fail(msg: str) -> NoReturn:
    """Print ``error: msg`` to stderr and exit with status 2 (click's usage-error status)."""
    console.print(f"[bold red]error:[/] {msg}", highlight=False, soft_wrap=True)
    raise typer.Exit(2) from None  # callers are often except blocks: no chained context
