"""The command line's one way to refuse bad input: a one-line red ``error:`` on stderr and exit status 2."""

from __future__ import annotations

from typing import NoReturn

import typer
from rich.console import Console

console = Console(stderr=True)


def fail(msg: str) -> NoReturn:
    """Print ``error: msg`` to stderr and exit with status 2 (click's usage-error status)."""
    console.print(f"[bold red]error:[/] {msg}", highlight=False, soft_wrap=True)
    raise typer.Exit(2) from None  # callers are often except blocks: no chained context
