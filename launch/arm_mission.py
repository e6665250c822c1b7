"""Arm missions: one episode (``launch.arm_runner``) with a run folder like a drone mission's.

Run folder ``runs/<mission>-<time>/``: ``mission.yaml`` (resolved config), ``events.jsonl`` (plan, replan, grasp,
release, stall, finished, success, error; appended and flushed as they happen), ``episode.mp4`` (the real camera
beside the plan frame being executed, with the plan's tracked object points and its subgoals drawn on both),
``hand.png`` (the fingertip path over time with the events), ``metrics.json`` and ``report.html``. A fault (an
exception, Ctrl-C) still closes the video and writes metrics and the report; the status says what happened.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import yaml

from plansight.agent.contracts import Arm, Event, PlanTrace
from plansight.agent.shared.atomic import read_jsonl
from plansight.launch.arm_runner import ArmEpisode, ArmParts, EpisodeOutcome, run_arm_episode
from plansight.launch.registry import build
from plansight.launch.report import plot_series, write_report
from plansight.launch.rundir import EventLog, atomic_path, make_run_dir, write_atomic, write_json
from plansight.launch.runner import RunResult
from plansight.launch.video import VideoRecorder

log = logging.getLogger(__name__)

StepCallback = Callable[[int, int, dict], None]

_POINT = (60, 220, 60)  # tracked object points (RGB)
_GOAL = (250, 210, 40)  # subgoals still ahead
_DONE = (120, 120, 120)  # subgoals reached
_NOW = (240, 40, 40)  # the subgoal being approached
_POSTER_FRAME = 20  # the report shows this recorded frame (or the last, if fewer) before the video plays


def draw_trace(img: np.ndarray, trace: PlanTrace, frame: int, points: bool) -> np.ndarray:
    """``img`` (H×W×3 uint8, the plan's camera) with the subgoals (reached grey, current red, ahead yellow,
    joined in order) and, if ``points``, the tracked object points of plan frame ``frame`` (green)."""
    out = np.ascontiguousarray(img.copy())
    if points and len(trace.points_uv) > frame:
        for u, v in trace.points_uv[frame][:: max(1, len(trace.points_uv[frame]) // 150)]:
            if np.isfinite(u) and np.isfinite(v):
                cv2.circle(out, (int(round(u)), int(round(v))), 1, _POINT, -1, cv2.LINE_AA)
    uv = [(int(round(u)), int(round(v))) for u, v in trace.subgoals_uv if np.isfinite(u) and np.isfinite(v)]
    for a, b in zip(uv, uv[1:], strict=False):
        cv2.line(out, a, b, _GOAL, 1, cv2.LINE_AA)
    for i, p in enumerate(uv):
        colour = _DONE if i < trace.goal_index else (_NOW if i == trace.goal_index else _GOAL)
        cv2.circle(out, p, 4 if i == trace.goal_index else 3, colour, -1 if i == trace.goal_index else 1, cv2.LINE_AA)
    return out


VIDEO_TITLE = "Camera (subgoals drawn) | plan frame being executed (tracked points, subgoals)"
PLOT_TITLE = "Hand position over time (vertical lines: events)"


class _Recorder:
    """The episode observer of an arm mission: events to ``events.jsonl``, frames to ``episode.mp4``, hand path."""

    def __init__(self, run_dir: Path, camera: str, mission, on_step: StepCallback | None) -> None:
        self.camera = camera
        self.events = EventLog(run_dir / "events.jsonl")
        rec = mission.record
        self.every = rec.video_every
        self.video = VideoRecorder(run_dir / "episode.mp4", fps=80.0 / self.every) if rec.video else None
        self.hand: list[tuple[float, float, float, float]] = []
        self.on_step_cb = on_step
        self.max_steps = mission.embodiment.max_steps
        self.plans = 0
        self.poster: np.ndarray | None = None

    def on_event(self, event: Event) -> None:
        self.events.write(event)
        if event.kind in ("plan", "replan"):
            self.plans += 1

    def on_step(self, arm: Arm, trace: Callable[[], PlanTrace | None]) -> None:
        k = arm.step_count
        state = arm.observe(()).state
        self.hand.append((k * arm.dt, float(state[0]), float(state[1]), float(state[2])))
        if self.video is not None and (k - 1) % self.every == 0:
            frame = self._frame(arm, trace(), k)
            self.video.add(frame)
            if self.video.frames <= _POSTER_FRAME:
                self.poster = frame
        if self.on_step_cb is not None:
            self.on_step_cb(k, self.max_steps, {"plans": self.plans, "success": bool(arm.success)})

    def _frame(self, arm: Arm, trace: PlanTrace | None, k: int) -> np.ndarray:
        real = arm.observe((self.camera,), depth=False, masks=False).images[self.camera]
        if trace is None:
            plan = np.zeros_like(real)
            caption = f"step {k}"
        else:
            n = len(trace.plan.frames)
            frame = min(trace.goal_index + 1, n - 1)
            real = draw_trace(real, trace, frame, points=False)
            plan = draw_trace(trace.plan.frames[frame], trace, frame, points=True)
            caption = (f"step {k}  plan {self.plans} frame {frame}/{n - 1}  {trace.mode}/{trace.phase}  "
                       f"subgoal {min(trace.goal_index + 1, len(trace.subgoals_uv))}/{len(trace.subgoals_uv)}")
        panel = np.concatenate([real, plan], axis=1)
        bar = np.zeros((22, panel.shape[1], 3), np.uint8)
        cv2.putText(bar, caption + ("  SUCCESS" if arm.success else ""), (6, 15), cv2.FONT_HERSHEY_SIMPLEX, 0.42,
                    (255, 255, 255), 1, cv2.LINE_AA)
        for x, label in ((6, "camera"), (real.shape[1] + 6, "plan: tracked points (green), subgoals")):
            cv2.putText(panel, label, (x, panel.shape[0] - 8), cv2.FONT_HERSHEY_SIMPLEX, 0.38, (255, 255, 255), 1,
                        cv2.LINE_AA)
        return np.concatenate([bar, panel], axis=0)


def run_arm_mission(mission, runs_root: str | Path = "runs", on_step: StepCallback | None = None) -> RunResult:
    """Run the arm ``mission`` (an ``ArmMission``) and return where its files are and what it measured."""
    run_dir = make_run_dir(runs_root, mission.name)
    write_atomic(run_dir / "mission.yaml",
                 lambda f: yaml.safe_dump(mission.model_dump(mode="json"), f, sort_keys=False))
    camera = mission.camera or mission.embodiment.cameras[0]
    recorder = _Recorder(run_dir, camera, mission, on_step)
    wall0 = time.perf_counter()
    status = "completed"
    outcome: EpisodeOutcome | None = None
    arm = None
    try:
        arm = build("embodiment", mission.embodiment)
        parts = ArmParts(planner=mission.planner, executor=mission.executor if mission.planner else None,
                         arm_policy=mission.arm_policy, plan_res=mission.plan_res)
        outcome = run_arm_episode(arm, ArmEpisode(mission.embodiment.task, camera, mission.seed, mission.replans),
                                  parts, recorder)
    except KeyboardInterrupt:
        status = "interrupted"
        log.warning("interrupted")
    except Exception as e:  # the run folder says what happened, no traceback
        status = f"aborted: {type(e).__name__}: {e}"
        log.error("arm mission fault: %s", e)
    finally:
        if arm is not None:
            arm.close()
        if status != "completed":
            recorder.events.write(Event(recorder.hand[-1][0] if recorder.hand else 0.0, "fault", {"status": status}))
        files, metrics = _finalise(run_dir, mission, recorder, outcome, status, wall0)
    log.info("run folder %s: %s", run_dir, files)
    return RunResult(run_dir=run_dir, metrics=metrics, status=status)


def _finalise(run_dir: Path, mission, recorder: _Recorder, outcome: EpisodeOutcome | None, status: str,
              wall0: float) -> tuple[dict[str, str], dict]:
    files = {"config": "mission.yaml", "events": "events.jsonl", "metrics": "metrics.json"}
    metrics: dict = {"mission": mission.name, "task": mission.embodiment.task, "seed": mission.seed,
                     "status": status, "planner": mission.planner.type if mission.planner else None,
                     "arm_policy": mission.arm_policy.type if mission.arm_policy else None}
    if outcome is not None:
        metrics.update(success=outcome.success, success_step=outcome.success_step, steps=outcome.steps,
                       plans=outcome.plans, modes=",".join(outcome.modes), error=outcome.error,
                       timing_s={k: round(v, 3) for k, v in outcome.timing.items()})
        if outcome.error and status == "completed":
            metrics["status"] = status = f"failed: {outcome.error}"
    metrics["events"] = dict(recorder.events.counts)
    metrics["wall_time_s"] = round(time.perf_counter() - wall0, 2)
    recorder.events.close()
    write_json(run_dir / "metrics.json", metrics)
    if recorder.video is not None and recorder.video.close() is not None:
        files["video"] = recorder.video.path.name
        if recorder.poster is not None:
            _, png = cv2.imencode(".png", cv2.cvtColor(recorder.poster, cv2.COLOR_RGB2BGR))
            with atomic_path(run_dir / "episode.png") as tmp:
                tmp.write_bytes(png.tobytes())
            files["poster"] = "episode.png"
    logged = read_jsonl(run_dir / "events.jsonl")  # the events as written: the plot's marks and the report's table
    if recorder.hand:
        t = [h[0] for h in recorder.hand]
        series = {f"hand {a} [m]": [h[i + 1] for h in recorder.hand] for i, a in enumerate("xyz")}
        plot_series(run_dir / "hand.png", t, series, marks=[(e["t"], e["kind"]) for e in logged],
                    title=f"{mission.name}: {'success' if metrics.get('success') else 'no success'}")
        files["plot"] = "hand.png"
    write_report(run_dir / "report.html", mission.name, metrics, files, video_title=VIDEO_TITLE,
                 plot_title=PLOT_TITLE, events=logged)
    return files, metrics
