"""``plansight retrain-depth``: train the monocular depth network offline from recorded flight logs.

Loads every frame of the given ``flight.h5`` logs into the learner's replay buffer (stereo depth is
the target, only where stereo was valid), optionally resumes a checkpoint (weights, optimizer and
step), trains ``steps`` optimiser steps and writes the checkpoint and its learning curve. The
checkpoint is also written every ``checkpoint_every`` steps (and every ``cfg.checkpoint_every_s``
seconds), atomically, so a killed run resumes from its last one with ``--resume OUT``; temporary files
of a killed save are removed by the next one.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from pathlib import Path

from plansight.agent.learning.checkpoint import read_meta
from plansight.agent.learning.flight_log import read_flight_logs
from plansight.agent.learning.online_depth import OnlineDepthLearner
from plansight.agent.learning.plots import plot_learning_curve
from plansight.agent.perception.config_persistent import LearnerConfig, MonoNetConfig

log = logging.getLogger(__name__)


def retrain_depth(logs: Sequence[Path], out: Path, steps: int, resume: Path | None = None,
                  cfg: LearnerConfig | None = None, on_step: Callable[[int, float], None] | None = None,
                  checkpoint_every: int = 100, lr_decay_steps: int | None = None,
                  net_cfg: MonoNetConfig | None = None) -> dict:
    """Train and save; returns a summary (steps, frames, first/last loss, samples/s, files).

    ``lr_decay_steps``: cosine learning-rate decay from ``cfg.learning_rate`` at step 0 to 0 at this optimiser step
    (counted from the network's first step, so a resumed run continues the same schedule); None: constant.
    ``net_cfg``: the shape of a new network (default ``MonoNetConfig()``); a resumed run keeps its checkpoint's, and
    a different ``net_cfg`` with ``resume`` is a ``ValueError``."""
    if resume:
        saved = MonoNetConfig(**read_meta(resume)["config"]["net"])
        if net_cfg is not None and net_cfg != saved:
            raise ValueError(f"{resume} holds a network of channels {list(saved.channels)}, not "
                             f"{list(net_cfg.channels)}: resume without a new shape")
        net_cfg = saved
    net_cfg = net_cfg or MonoNetConfig()
    data = read_flight_logs(logs, width=net_cfg.width, height=net_cfg.height, ground_truth=False)
    n = len(data["left"])
    cfg = cfg or LearnerConfig()
    cfg = cfg.model_copy(update={"buffer_capacity": max(n, 10), "min_buffer": 1, "add_every": 1,
                                 "min_valid_fraction": 0.0, "mode": "lockstep", "checkpoint_every": checkpoint_every})
    out = Path(out)
    learner = OnlineDepthLearner(net_cfg, cfg, checkpoint=out, init_from=resume)
    for img, d, v in zip(data["left"], data["stereo_depth"], data["stereo_valid"], strict=True):
        learner.add(img, d, v)
    del data  # the buffer holds its own (uint8 / float16) copy
    start_step = learner.step_count
    losses = []
    for i in range(steps):
        if lr_decay_steps is not None:
            frac = min(learner.step_count / lr_decay_steps, 1.0)
            for group in learner.optimizer.param_groups:
                group["lr"] = cfg.learning_rate * 0.5 * (1.0 + math.cos(math.pi * frac))
        loss = learner.train_step()
        losses.append(loss)
        if on_step is not None:
            on_step(i + 1, loss)
    learner.save(out)
    curve_png = out.with_name(out.stem + "_learning_curve.png")
    plot_learning_curve(curve_png, learner.curve)
    summary = {"frames": n, "logs": [str(p) for p in logs], "start_step": start_step, "end_step": learner.step_count,
               "first_loss": losses[0] if losses else None, "last_loss": losses[-1] if losses else None,
               "samples_per_s": (round(steps * cfg.batch_size / learner.train_time_s, 1)
                                 if learner.train_time_s else None),
               "checkpoint": str(out), "learning_curve": str(curve_png)}
    log.info("retrained %d steps on %d frames: loss %s -> %s", steps, n, summary["first_loss"], summary["last_loss"])
    return summary
