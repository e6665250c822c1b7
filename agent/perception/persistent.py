"""Persistent self-supervised depth perception: stereo teaches a monocular network online, and a
switching strategy decides which cue flies (``type: persistent_ssl`` in mission files).

Per frame: SGBM stereo depth → the frame joins the learner's replay buffer → the learner trains
(lockstep with flight time, or in a background thread) → the published network predicts mono depth
and variance → ``CueSwitch`` picks the cue → that estimate goes to the policy. Learning continues in
every strategy, so during mono flight the buffer also receives the states mono flight leads to.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

from plansight.agent.contracts import CameraModel, DepthEstimate, Event, Observation
from plansight.agent.control.avoidance import free_distance_ahead
from plansight.agent.learning.online_depth import OnlineDepthLearner
from plansight.agent.perception.config_persistent import PersistentSSLConfig
from plansight.agent.perception.depth_metrics import abs_rel
from plansight.agent.perception.stereo import SgbmStereoDepth
from plansight.agent.perception.switching import CueSwitch

log = logging.getLogger(__name__)


class PersistentSSLPerception:
    """``DepthEstimator`` that flies on stereo or mono; see the module docstring.

    Also a run participant: ``start_run`` points checkpoints at the run folder, ``drain_events``
    yields switch and override events, ``finish_run`` writes the learning curve, the phase timeline
    and the final checkpoint. ``estimates`` holds this frame's named estimates (stereo, mono).
    """

    def __init__(self, cfg: PersistentSSLConfig, camera: CameraModel) -> None:
        if (camera.width, camera.height) != (cfg.net.width, cfg.net.height):
            raise ValueError(f"mono network is {cfg.net.width}x{cfg.net.height} but camera {camera.name!r} is "
                             f"{camera.width}x{camera.height}; set perception.net.width/height to match")
        self.cfg = cfg
        self.camera_model = camera
        self.camera = camera.name
        self.stereo = SgbmStereoDepth(cfg.stereo, camera)
        self.learner = OnlineDepthLearner(cfg.net, cfg.learner, init_from=cfg.init_checkpoint)
        self.switch = CueSwitch(cfg.switch)
        self.estimates: dict[str, DepthEstimate] = {}
        self._events: list[Event] = []
        self._last_t: float | None = None
        self.mono_errors: list[tuple[float, float]] = []

    # ------------------------------------------------------------------ DepthEstimator
    def estimate(self, obs: Observation) -> DepthEstimate:
        image = obs.images[self.camera]
        stereo = self.stereo.estimate(obs)
        if self.cfg.learn:
            self.learner.add(image, stereo.depth, stereo.valid)
            dt = 0.0 if self._last_t is None else max(obs.t - self._last_t, 0.0)
            self.learner.tick(dt)
        self._last_t = obs.t
        depth, var = self.learner.predict(image)
        valid = np.sqrt(var) < self.cfg.mono_max_rel_std * depth
        mono = DepthEstimate(self.camera, depth, valid, var, source="mono_cnn")
        err = abs_rel(depth, stereo.depth, stereo.valid) if stereo.valid.mean() > 0.2 else None
        if err is not None:
            self.mono_errors.append((obs.t, err))
        free = self.cfg.free_space
        d = self.switch.decide(obs.t, free_distance_ahead(stereo, self.camera_model, free),
                               free_distance_ahead(mono, self.camera_model, free), err, self.learner.step_count)
        if d.switched_to is not None:
            self._events.append(Event(obs.t, "cue_switch", {"to": d.switched_to,
                                                            "mono_abs_rel": self.switch.recent_mono_abs_rel}))
        if d.override_started:
            self._events.append(Event(obs.t, "stereo_override", {"count": self.switch.overrides}))
        self.estimates = {"stereo": stereo, "mono": mono}
        return stereo if d.cue == "stereo" else mono

    # ------------------------------------------------------------------ run participant
    def start_run(self, run_dir: Path) -> None:
        self.learner.checkpoint = Path(run_dir) / "depth.safetensors"
        self.learner.start()

    def drain_events(self) -> list[Event]:
        out, self._events = self._events, []
        return out

    def finish_run(self, run_dir: Path) -> dict[str, Any]:
        from plansight.agent.learning.plots import plot_learning_curve, plot_phase_timeline

        self.learner.stop()
        run_dir = Path(run_dir)
        files = {}
        if self.cfg.learn:
            self.learner.save(run_dir / "depth.safetensors")
            files["checkpoint"] = "depth.safetensors"
        plot_learning_curve(run_dir / "depth_learning_curve.png", self.learner.curve, self.mono_errors)
        plot_phase_timeline(run_dir / "phase_timeline.png", self.switch.timeline, self.cfg.switch.strategy)
        files.update(learning_curve="depth_learning_curve.png", phase_timeline="phase_timeline.png")
        tl = self.switch.timeline
        mono_share = sum(1 for x in tl if x[1] == "mono") / len(tl) if tl else 0.0
        metrics = {"strategy": self.cfg.switch.strategy, "stereo_overrides": self.switch.overrides,
                   "mono_flight_fraction": round(mono_share, 4), "train_steps": self.learner.step_count,
                   "train_samples_seen": self.learner.buffer.seen, "train_time_s": round(self.learner.train_time_s, 2),
                   "final_loss": self.learner.curve[-1].loss if self.learner.curve else None}
        progress = (f"{self.learner.step_count} optimiser steps in this run (training starts once "
                    f"{self.cfg.learner.min_buffer} stereo samples are buffered; an untrained network's pixels are "
                    "all too uncertain to count: fly longer)")
        # why a figure is missing, for the report: "mono" completes the runner's reason for mono depth figures
        metrics["not_available"] = {"mono": progress}
        if metrics["final_loss"] is None:
            metrics["not_available"]["final_loss"] = f"not available: no optimiser step yet; {progress}"
        return {"metrics": metrics, "files": files}
