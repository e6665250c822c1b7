"""Run reports: the top-down trajectory plot and time-series plots (PNG), and a one-page HTML summary."""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402
from matplotlib.patches import Circle, Rectangle  # noqa: E402

from plansight.launch.rundir import atomic_path, write_atomic  # noqa: E402


def plot_trajectory(path: str | Path, room: Mapping[str, Any] | None, xyt: Sequence[tuple[float, float, float]],
                    collisions: Sequence[tuple[float, float]] = (), title: str = "") -> None:
    """Top-down world-frame plot (x right, y up, metres): walls, obstacles, the path coloured by
    time, start (green) and end (black) markers and collisions (red crosses)."""
    fig, ax = plt.subplots(figsize=(6, 6), dpi=110)
    if room:
        sx, sy = room["size"]
        ax.add_patch(Rectangle((-sx / 2, -sy / 2), sx, sy, fill=False, lw=3, ec="0.3"))
        for ob in room["obstacles"]:
            if ob["kind"] == "pole":
                ax.add_patch(Circle((ob["x"], ob["y"]), ob["size"][0], fc="tab:red", ec="k", alpha=0.8))
            else:
                hx, hy = ob["size"]
                c, s = math.cos(ob["yaw"]), math.sin(ob["yaw"])
                corner = (ob["x"] - c * hx + s * hy, ob["y"] - s * hx - c * hy)
                ax.add_patch(Rectangle(corner, 2 * hx, 2 * hy, angle=math.degrees(ob["yaw"]),
                                       fc="tab:blue", ec="k", alpha=0.8))
        for lm in room.get("landmarks", ()):  # visual goals, in their own colour, with their approach point
            hx, hy = lm["half_size"][:2]
            c, s = math.cos(lm["yaw"]), math.sin(lm["yaw"])
            x, y = lm["centre"][:2]
            corner = (x - c * hx + s * hy, y - s * hx - c * hy)
            ax.add_patch(Rectangle(corner, 2 * hx, 2 * hy, angle=math.degrees(lm["yaw"]), fc=lm["colour"],
                                   ec=lm["colour"], lw=3))
            ax.plot(*lm["approach_xy"], "*", color=lm["colour"], mec="k", ms=12)
        if room.get("landmarks"):
            ax.plot([], [], "*", color="0.6", mec="k", ms=10, label="landmark (approach)")
        ax.set_xlim(-sx / 2 - 0.3, sx / 2 + 0.3)
        ax.set_ylim(-sy / 2 - 0.3, sy / 2 + 0.3)
    if len(xyt) > 1:
        pts = [(x, y) for x, y, _ in xyt]
        segs = [[pts[i], pts[i + 1]] for i in range(len(pts) - 1)]
        lc = LineCollection(segs, cmap="viridis", linewidths=1.8)
        lc.set_array([t for _, _, t in xyt[:-1]])
        ax.add_collection(lc)
        fig.colorbar(lc, ax=ax, fraction=0.046, pad=0.04, label="time [s]")
        ax.plot(*pts[0], "o", color="tab:green", ms=9, label="start")
        ax.plot(*pts[-1], "s", color="k", ms=7, label="end")
    for x, y in collisions:
        ax.plot(x, y, "x", color="red", ms=12, mew=3)
    if collisions:
        ax.plot([], [], "x", color="red", ms=10, mew=3, label="collision")
    ax.set_aspect("equal")
    ax.set_xlabel("x [m]")
    ax.set_ylabel("y [m]")
    ax.set_title(title)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="upper right", fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)


def plot_series(path: str | Path, t: Sequence[float], series: Mapping[str, Sequence[float]],
                marks: Sequence[tuple[float, str]] = (), title: str = "") -> None:
    """One panel per series against time ``t`` (seconds), with a labelled vertical line per ``(t, kind)`` mark."""
    fig, axes = plt.subplots(len(series), 1, figsize=(7, 1.8 * len(series) + 0.6), dpi=100, sharex=True,
                             squeeze=False)
    colours = {}
    for ax, (label, ys) in zip(axes[:, 0], series.items(), strict=True):
        ax.plot(t, ys, lw=1.5)
        ax.set_ylabel(label, fontsize=8)
        ax.grid(alpha=0.3)
        for tm, kind in marks:
            c = colours.setdefault(kind, f"C{len(colours) + 1}")
            ax.axvline(tm, color=c, lw=1, alpha=0.8)
    for kind, c in colours.items():
        axes[0, 0].plot([], [], color=c, label=kind)
    if colours:
        axes[0, 0].legend(fontsize=7, ncol=min(4, len(colours)), loc="upper left")
    axes[-1, 0].set_xlabel("time [s]")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)


def plot_depth_colorbar(path: str | Path, max_depth_m: float = 5.0) -> None:
    """The depth panels' colour scale (``video.depth_panel``: turbo, near = red, ``max_depth_m`` and beyond = dark
    blue, invalid = black) as a horizontal bar in metres."""
    import numpy as np

    fig, ax = plt.subplots(figsize=(6, 0.9), dpi=100)
    ramp = np.linspace(0.0, 1.0, 256)[None, :]
    ax.imshow(1.0 - ramp, cmap="turbo", aspect="auto", extent=(0.0, max_depth_m, 0.0, 1.0), vmin=0.0, vmax=1.0)
    ax.set_yticks([])
    ax.set_xlabel("depth [m] (invalid pixels are black)")
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)


def write_report(path: str | Path, mission_name: str, metrics: Mapping[str, Any], files: Mapping[str, str],
                 video_title: str = "Left camera | stereo depth | ground truth", plot_title: str = "Trajectory",
                 events: Sequence[Mapping[str, Any]] = ()) -> None:
    """A self-contained HTML page: the metrics, the run's video and plot inline, an events table (``events``: the
    dicts of ``events.jsonl``) and links to every file."""
    why = metrics.get("not_available", {})
    rows = "\n".join(f"<tr><td>{html.escape(str(k))}</td><td>{html.escape(why.get(k) or _fmt(v))}</td></tr>"
                     for k, v in metrics.items() if not isinstance(v, dict))
    video = files.get("video")
    plot = files.get("trajectory") or files.get("plot")
    body = [f"<h1>{html.escape(mission_name)}</h1>", f"<table>{rows}</table>"]
    if video:
        poster = f' poster="{files["poster"]}"' if files.get("poster") else ""
        body.append(f"<h2>{html.escape(video_title)}</h2>"
                    f'<video src="{video}"{poster} controls width="100%"></video>')
    if plot:
        body.append(f'<h2>{html.escape(plot_title)}</h2><img src="{plot}" width="600">')
    for label, name in files.items():  # every other picture inline (time series, learning curve, cue timeline)
        if name.endswith(".png") and name not in (plot, files.get("poster")):
            body.append(f'<h2>{html.escape(label.replace("_", " ").capitalize())}</h2><img src="{name}" width="700">')
    if events:
        cells = "".join(
            f"<tr><td>{_fmt(e.get('t'))}</td><td>{html.escape(str(e.get('kind')))}</td><td>"
            + html.escape(", ".join(f"{k}={_fmt(v)}" for k, v in e.items() if k not in ("t", "kind"))) + "</td></tr>"
            for e in events[:500])
        body.append(f"<h2>Events</h2><table><tr><th>t [s]</th><th>event</th><th>details</th></tr>{cells}</table>")
    body.append("<ul>" + "".join(f'<li><a href="{f}">{html.escape(k)}</a></li>' for k, f in files.items()) + "</ul>")
    page = ("<!doctype html><html><head><meta charset='utf-8'><title>" + html.escape(mission_name) +
            "</title><style>body{font-family:sans-serif;max-width:1200px;margin:auto}td{padding:2px 12px}"
            "</style></head><body>" + "\n".join(body) + "</body></html>")
    write_atomic(path, lambda f: f.write(page))


def _fmt(v: Any) -> str:
    if isinstance(v, list) and len(v) <= 4 and all(isinstance(x, float) for x in v):
        return "[" + ", ".join(f"{x:.3f}" for x in v) + "]"
    return f"{v:.3f}" if isinstance(v, float) else str(v)
