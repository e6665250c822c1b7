"""Plots of online depth learning: the learning curve and the cue/override timeline (PNG, atomic)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from plansight.agent.shared.atomic import atomic_path  # noqa: E402


def _save(fig, path: Path) -> None:
    try:
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format="png")
    finally:
        plt.close(fig)


def plot_learning_curve(path: str | Path, curve: Sequence, mono_errors: Sequence[tuple[float, float]] = ()) -> None:
    """Training loss against step (left) and mono AbsRel against stereo over flight time (right).

    Args:
        curve: objects with ``step`` and ``loss`` (``CurvePoint``).
        mono_errors: (t in s, AbsRel) pairs.
    """
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 3.6), dpi=100)
    if curve:
        steps = np.array([p.step for p in curve])
        loss = np.array([p.loss for p in curve])
        a.plot(steps, loss, lw=0.6, alpha=0.4, color="tab:blue")
        k = max(1, len(loss) // 50)
        if len(loss) >= k:
            a.plot(steps[k - 1:], np.convolve(loss, np.ones(k) / k, mode="valid"), color="tab:blue", label="loss")
    a.set_xlabel("optimiser step")
    a.set_ylabel("Gaussian NLL of log depth")
    a.set_title("online training loss")
    a.grid(alpha=0.3)
    if mono_errors:
        t, e = zip(*mono_errors, strict=True)
        b.plot(t, e, lw=0.6, color="tab:orange")
    b.set_xlabel("flight time [s]")
    b.set_ylabel("mono AbsRel vs stereo")
    b.set_title("mono error on live frames")
    b.set_ylim(bottom=0)
    b.grid(alpha=0.3)
    fig.tight_layout()
    _save(fig, Path(path))


def plot_phase_timeline(path: str | Path, timeline: Sequence[tuple[float, str, bool, bool]], strategy: str) -> None:
    """Which cue flew when (band per cue) and where stereo overrides happened (red ticks)."""
    fig, ax = plt.subplots(figsize=(10, 2.2), dpi=100)
    if timeline:
        t = np.array([x[0] for x in timeline])
        mono = np.array([x[1] == "mono" for x in timeline])
        started = np.array([x[3] for x in timeline])
        ax.fill_between(t, 0, 1, where=mono, step="post", color="tab:orange", alpha=0.6, label="mono flies")
        ax.fill_between(t, 0, 1, where=~mono, step="post", color="tab:blue", alpha=0.35, label="stereo flies")
        starts = t[started]
        ax.vlines(starts, 0, 1, color="red", lw=1.2, label=f"stereo override ({len(starts)})")
    ax.set_yticks([])
    ax.set_xlabel("flight time [s]")
    ax.set_title(f"depth cue timeline (strategy: {strategy})")
    ax.legend(loc="upper right", fontsize=8, ncol=3)
    fig.tight_layout()
    _save(fig, Path(path))
