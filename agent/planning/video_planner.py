"""``DiffusionVideoPlanner``: a trained ``VideoPlanNet`` behind the ``VideoPlanner`` contract.

``plan(obs, task, camera, n, seed)`` samples ``n`` candidate futures in one batch from the camera's
current frame: the frame is centre-cropped to the model's aspect ratio only if it already has it (a
different aspect ratio is an error, not a silent distortion) and resized to the model's size; the
generated frames are resized back to the camera's size, and frame 0 of every plan is the real
observation. The same seed gives the same plans.

An RGB-D checkpoint (``VideoModelConfig.depth``) is also conditioned on the observed frame's depth
(``obs.depth[camera]``: declared, as AVDC's executor reads the observed frame's depth and mask too) and
predicts every future frame's depth; the plan's ``depth`` is frame 0's observed depth followed by the
model's, decoded to metres and resized (bilinear) to the camera's size. Nothing else in a plan comes from
the simulator: ``object_poses`` stays ``None``.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from pathlib import Path

import cv2
import numpy as np
import torch

from plansight.agent.contracts import Observation, VideoPlan
from plansight.agent.learning.video_clips import resize_depth_to, resize_to
from plansight.agent.planning.config_planner import DiffusionPlannerConfig
from plansight.agent.planning.config_refine import RefinerConfig
from plansight.agent.planning.config_video import DiffusionConfig
from plansight.agent.planning.critic import PlanCritic
from plansight.agent.planning.refine import refine_condition
from plansight.agent.planning.video_diffusion import VideoDiffusion, split_rgbd, to_frames, to_rgbd_tensor, to_tensor
from plansight.agent.planning.video_model import VideoPlanNet
from plansight.agent.shared.builtin import resolve_model

log = logging.getLogger(__name__)


class PlannerError(ValueError):
    """A checkpoint or request the planner cannot serve; the message says why."""


class DiffusionVideoPlanner:
    """See the module docstring. ``steps`` / ``guidance_scale`` override the checkpoint's sampler."""

    def __init__(self, checkpoint: str | Path, steps: int | None = None, guidance_scale: float | None = None,
                 device: str = "cpu") -> None:
        try:
            path = resolve_model(checkpoint)
        except ValueError as e:
            raise PlannerError(str(e)) from None
        if not (path / "config.json").is_file():
            raise PlannerError(f"{path}: no video model here (expected config.json + safetensors from "
                               "`plansight train video`)")
        self.net = VideoPlanNet.from_pretrained(path).to(device).eval()
        meta_file = path / "plansight_train.json"
        meta = json.loads(meta_file.read_text()) if meta_file.is_file() else {}
        cfg = DiffusionConfig(**meta.get("diffusion", {}))
        update = {k: v for k, v in (("sample_steps", steps), ("guidance_scale", guidance_scale)) if v is not None}
        self.diffusion = VideoDiffusion(self.net, cfg.model_copy(update=update))
        self.meta = meta
        self._sample_s = 0.0
        self._critic_s = 0.0
        self.refiner: DiffusionVideoPlanner | None = None  # refines every plan ``refine_rounds`` times
        self.refine_rounds = 0
        self.critic: PlanCritic | None = None  # picks among ``candidates`` and stops refinement
        self.candidates = 1
        c = self.net.config
        log.info("video planner %s: %dx%d, %d future frames, tasks %s", path, c.width, c.height, c.n_future,
                 ", ".join(c.tasks))

    @classmethod
    def from_config(cls, cfg: DiffusionPlannerConfig, *_context: object) -> DiffusionVideoPlanner:
        """The registry's constructor: ``build("planner", cfg, arm, executor)`` (a learned planner sees only
        observations: the arm and executor are not used)."""
        planner = cls(cfg.checkpoint, steps=cfg.sample_steps, guidance_scale=cfg.guidance_scale)
        if cfg.refiner is not None and cfg.refine_rounds > 0:
            planner.refiner = cls.from_refiner_config(cfg.refiner)
            planner.refine_rounds = cfg.refine_rounds
        if cfg.critic is not None:
            planner.critic = PlanCritic.from_config(cfg.critic)
            planner.candidates = cfg.candidates
        return planner

    @classmethod
    def from_refiner_config(cls, cfg: RefinerConfig, *_context: object) -> DiffusionVideoPlanner:
        """The registry's ``refiner`` constructor: a self-conditioned checkpoint (``PlannerError`` otherwise)."""
        refiner = cls(cfg.checkpoint, steps=cfg.sample_steps)
        if not refiner.self_conditioned:
            raise PlannerError(f"refiner {cfg.checkpoint}: not a self-conditioned model (train one with "
                               "`plansight train refiner`)")
        return refiner

    @staticmethod
    def preflight(cfg: DiffusionPlannerConfig, tasks: list[str], width: int, height: int) -> None:
        """``PlannerError`` (one line) when the checkpoint does not load, lacks one of ``tasks`` or plans at
        another aspect ratio than ``width``×``height``: checked before an evaluation starts."""
        try:
            model = DiffusionVideoPlanner(cfg.checkpoint)
        except PlannerError as e:
            raise PlannerError(f"checkpoint: {e}") from None
        missing = [t for t in tasks if t not in model.tasks]
        if missing:
            raise PlannerError(f"tasks: the checkpoint does not know {', '.join(missing)}; it knows "
                               f"{', '.join(model.tasks)}")
        c = model.net.config
        if abs(width / height - c.width / c.height) > 1e-3:
            raise PlannerError(f"res: {width}x{height} has another aspect ratio than the checkpoint's "
                               f"{c.width}x{c.height}")
        if cfg.refiner is not None and cfg.refine_rounds > 0:
            try:
                refiner = DiffusionVideoPlanner.from_refiner_config(cfg.refiner)
            except PlannerError as e:
                raise PlannerError(f"refiner: {e}") from None
            if refiner.net.config.n_future != c.n_future or refiner.net.config.width != c.width:
                raise PlannerError(f"refiner: {cfg.refiner.checkpoint} plans another format than the checkpoint")
        if cfg.critic is not None:
            try:
                critic = PlanCritic.from_config(cfg.critic)
            except ValueError as e:
                raise PlannerError(f"critic: {e}") from None
            if critic.net.cfg.frames != c.n_future + 1:
                raise PlannerError(f"critic: it reads plans of {critic.net.cfg.frames} frames, the checkpoint makes "
                                   f"{c.n_future + 1}")
            unknown = [t for t in tasks if t not in critic.net.cfg.tasks]
            if unknown:
                raise PlannerError(f"critic: it does not know {', '.join(unknown)}")

    @property
    def timings(self) -> dict[str, float]:
        """Seconds spent sampling (``sample``) and judging (``critic``), summed over plans."""
        return {"sample": self._sample_s, "critic": self._critic_s}

    @property
    def tasks(self) -> tuple[str, ...]:
        return tuple(self.net.config.tasks)

    @property
    def predicts_depth(self) -> bool:
        return bool(self.net.config.depth)

    @property
    def self_conditioned(self) -> bool:
        """Whether the model can refine a previous plan (``refine``)."""
        return self.net.input_copies == 3

    def sample(self, first: np.ndarray, task: str, n: int = 1, seed: int | None = None,
               first_depth: np.ndarray | None = None, prev: np.ndarray | None = None,
               prev_depth: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray | None]:
        """``n`` futures at the model's size from ``first`` (h, w, 3) uint8, already at it: frames (n, F, h, w, 3)
        uint8 and, for an RGB-D model (which needs ``first_depth`` (h, w), metres), depth (n, F, h, w) metres.

        ``prev`` (n, F, h, w, 3) uint8 (and ``prev_depth`` (n, F, h, w) metres for RGB-D): plans to refine, one
        per sample, for a self-conditioned model; coded by ``refine_condition``, as in training."""
        c = self.net.config
        if first.shape != (c.height, c.width, 3):
            raise PlannerError(f"first frame is {first.shape}, the model takes ({c.height}, {c.width}, 3)")
        try:
            ids = self.net.task_ids([task] * n)
        except KeyError as e:
            raise PlannerError(str(e.args[0])) from None
        if c.depth:
            if first_depth is None or first_depth.shape != (c.height, c.width):
                got = "none" if first_depth is None else str(first_depth.shape)
                raise PlannerError(f"this RGB-D model needs the observed frame's depth ({c.height}, {c.width}), "
                                   f"got {got}")
            x0 = to_rgbd_tensor(first[None], first_depth[None], c.depth_near_m, c.depth_far_m)
        else:
            x0 = to_tensor(first[None])
        x0 = x0.to(self.net.device).expand(n, -1, -1, -1).contiguous()
        cond = None
        if prev is not None:
            if not self.self_conditioned:
                raise PlannerError("this checkpoint is not self-conditioned: it cannot refine plans")
            if prev.shape != (n, c.n_future, c.height, c.width, 3):
                raise PlannerError(f"previous plans are {prev.shape}, expected {(n, c.n_future, c.height, c.width, 3)}")
            cond = refine_condition(prev, prev_depth, c).to(self.net.device)
        gen = torch.Generator(device="cpu").manual_seed(0 if seed is None else seed)
        video = self.diffusion.sample(x0, ids, gen, prev=cond).movedim(2, 1)  # (n, F, C, h, w)
        if not c.depth:
            return to_frames(video), None
        return split_rgbd(video, c.depth_near_m, c.depth_far_m)

    def sample_frames(self, first: np.ndarray, task: str, n: int = 1, seed: int | None = None,
                      first_depth: np.ndarray | None = None) -> np.ndarray:
        """The frames of ``sample``: (n, F, h, w, 3) uint8."""
        return self.sample(first, task, n, seed, first_depth)[0]

    def plan(self, obs: Observation, task: str, camera: str, n: int = 1, seed: int | None = None) -> list[VideoPlan]:
        """``n`` plans. With a critic: ``max(n, candidates)`` sampled in one batch, the ``n`` best-scored kept (best
        first, ``VideoPlan.score`` set), then refined while below the critic's threshold (a refinement is kept
        only if it scores higher). Without one: ``n`` samples, each refined ``refine_rounds`` times."""
        if self.critic is None:
            plans = self._plan(obs, task, camera, n, seed, None)
            for k in range(self.refine_rounds if self.refiner is not None else 0):
                t0 = time.perf_counter()
                plans = self.refiner.refine(obs, plans, None if seed is None else seed * 31 + k + 1)
                self._sample_s += time.perf_counter() - t0
            return plans
        plans = self._judged(self._plan(obs, task, camera, max(n, self.candidates), seed, None))[:n]
        for k in range(self.refine_rounds if self.refiner is not None else 0):
            low = [i for i, p in enumerate(plans) if p.score < self.critic.threshold]
            if not low:
                break  # the critic accepts every plan: refinement stops
            t0 = time.perf_counter()
            refined = self._judged(self.refiner.refine(obs, [plans[i] for i in low],
                                                       None if seed is None else seed * 31 + k + 1), sort=False)
            self._sample_s += time.perf_counter() - t0
            for i, r in zip(low, refined, strict=True):
                if r.score > plans[i].score:
                    plans[i] = r
        return sorted(plans, key=lambda p: -p.score)

    def _judged(self, plans: list[VideoPlan], sort: bool = True) -> list[VideoPlan]:
        """``plans`` with the critic's scores set (best first when ``sort``)."""
        t0 = time.perf_counter()
        scores = self.critic.score(plans)
        self._critic_s += time.perf_counter() - t0
        judged = [dataclasses.replace(p, score=float(s)) for p, s in zip(plans, scores, strict=True)]
        return sorted(judged, key=lambda p: -p.score) if sort else judged

    def refine(self, obs: Observation, plans: list[VideoPlan], seed: int | None = None) -> list[VideoPlan]:
        """One refinement round: each plan (from ``obs``, at the camera's size) regenerated with itself as the
        condition, from fresh noise and the same observed frame (VideoAgent's self-conditioning consistency)."""
        if not plans:
            return []
        c = self.net.config
        prev = np.stack([[resize_to(f, c.height, c.width) for f in p.frames[1:]] for p in plans])
        prev_depth = None
        if c.depth:
            if any(p.depth is None for p in plans):
                raise PlannerError("an RGB-D refiner needs plans with depth")
            prev_depth = np.stack([[resize_depth_to(d, c.height, c.width) for d in p.depth[1:]] for p in plans])
        return self._plan(obs, plans[0].task, plans[0].camera, len(plans), seed, (prev, prev_depth))

    def _plan(self, obs: Observation, task: str, camera: str, n: int, seed: int | None,
              prev: tuple[np.ndarray, np.ndarray | None] | None) -> list[VideoPlan]:
        if camera not in obs.images:
            raise PlannerError(f"no image from camera {camera!r}; observation has {sorted(obs.images)}")
        if n < 1:
            raise PlannerError(f"n must be at least 1, got {n}")
        img = obs.images[camera]
        h, w = img.shape[:2]
        c = self.net.config
        if abs(w / h - c.width / c.height) > 1e-3:
            raise PlannerError(f"camera {camera!r} is {w}x{h} but the checkpoint plans at {c.width}x{c.height}: "
                               "aspect ratios differ; collect and train at the camera's aspect ratio")
        obs_depth = None
        if c.depth:
            obs_depth = (obs.depth or {}).get(camera)
            if obs_depth is None:
                raise PlannerError(f"this RGB-D checkpoint needs the observed depth of camera {camera!r}; the "
                                   "observation has none (observe with depth=True)")
        t0 = time.perf_counter()
        video, depth = self.sample(resize_to(img, c.height, c.width), task, n, seed,
                                   None if obs_depth is None else resize_depth_to(obs_depth, c.height, c.width),
                                   *(prev or (None, None)))
        self._sample_s += time.perf_counter() - t0
        plans = []
        for k, v in enumerate(video):
            up = [cv2.resize(f, (w, h), interpolation=cv2.INTER_LINEAR) for f in v]
            plan_depth = None
            if depth is not None:
                d_up = [cv2.resize(d, (w, h), interpolation=cv2.INTER_LINEAR) for d in depth[k]]
                plan_depth = np.stack([np.asarray(obs_depth, np.float32), *d_up])
            plans.append(VideoPlan(frames=np.stack([img, *up]), camera=camera, task=task, depth=plan_depth))
        return plans
