"""``ActChunkPolicy``: an ACT-JEPA (or ACT baseline) network from ``plansight train jepa`` as an ``ArmPolicy``.

Each query reads the camera image the episode watches (resized to the network's input with OpenCV's area filter),
the proprioception from ``Observation.state`` (hand, gripper, hand motion: ``policy_data.proprio_from_state``; no
object pose), the task and the camera, and predicts a chunk of ``chunk`` actions. The action executed at step t is
ACT's temporal ensemble: the weighted mean, w_i = exp(−m·i) with i = 0 the oldest, of every stored chunk's
prediction for t. With ``query_every = q`` > 1 the runner renders the camera only every q steps
(``image_every``); the steps between use the chunks already predicted.
"""

from __future__ import annotations

import logging

import cv2
import numpy as np
import torch

from plansight.agent.contracts import ArmCommand, Observation
from plansight.agent.control.config_act import ActPolicyConfig
from plansight.agent.learning.policy_data import proprio_from_state
from plansight.agent.learning.train_jepa import load_model
from plansight.agent.shared.builtin import resolve_model
from plansight.agent.shared.frames import to_tensor

log = logging.getLogger(__name__)


class ActChunkPolicy:
    """See the module docstring."""

    def __init__(self, cfg: ActPolicyConfig) -> None:
        self.cfg = cfg
        self.model = load_model(resolve_model(cfg.checkpoint))
        self.image_every = cfg.query_every
        self._task = self._camera = None
        self._chunks: list[tuple[int, np.ndarray]] = []  # (step predicted at, (chunk, 4) actions)
        self._t = 0

    @classmethod
    def from_config(cls, cfg: ActPolicyConfig, arm=None) -> ActChunkPolicy:
        """The registry's constructor: ``build("arm_policy", cfg, arm)`` (the arm is not needed)."""
        return cls(cfg)

    @staticmethod
    def preflight(cfg: ActPolicyConfig, tasks, width: int, height: int) -> None:
        """``ValueError`` (one line) unless the checkpoint loads and was trained on every one of ``tasks``."""
        model = load_model(resolve_model(cfg.checkpoint))
        missing = [t for t in tasks if t not in model.cfg.tasks]
        if missing:
            raise ValueError(f"{cfg.checkpoint}: not trained on task {missing[0]!r}; it knows "
                             f"{', '.join(model.cfg.tasks)}")

    def reset(self, obs: Observation, task: str, camera: str) -> None:
        m = self.model.cfg
        if task not in m.tasks:
            raise ValueError(f"the ACT-JEPA checkpoint was not trained on task {task!r}; it knows {', '.join(m.tasks)}")
        if camera not in m.cameras:
            raise ValueError(f"the ACT-JEPA checkpoint was not trained on camera {camera!r}; it knows "
                             f"{', '.join(m.cameras)}")
        self._task, self._camera = m.tasks.index(task), m.cameras.index(camera)
        self._camera_name = camera
        self._chunks, self._t = [], 0

    def predict_chunk(self, image: np.ndarray, state: np.ndarray) -> np.ndarray:
        """(chunk, 4) actions in [−1, 1] for one (H, W, 3) uint8 image and a 39-D Meta-World state."""
        m = self.model.cfg
        if image.shape[:2] != (m.height, m.width):
            image = cv2.resize(image, (m.width, m.height), interpolation=cv2.INTER_AREA)
        prev = torch.get_num_threads()
        torch.set_num_threads(self.cfg.threads)
        try:
            with torch.no_grad():
                proprio = self.model.normalize_proprio(torch.from_numpy(proprio_from_state(state))[None])
                out = self.model(to_tensor(image[None]), proprio, torch.tensor([self._task]),
                                 torch.tensor([self._camera]))
        finally:
            torch.set_num_threads(prev)
        return np.clip(out[0].numpy().astype(np.float64), -1.0, 1.0)

    def act(self, obs: Observation) -> ArmCommand:
        if self._task is None:
            raise RuntimeError("call reset() first")
        image = obs.images.get(self._camera_name)
        if image is not None and (self._t % self.cfg.query_every == 0 or not self._chunks):
            self._chunks.append((self._t, self.predict_chunk(np.asarray(image), np.asarray(obs.state))))
        k = self.model.cfg.chunk
        self._chunks = [(t0, c) for t0, c in self._chunks if self._t - t0 < k]
        if not self._chunks:  # no image yet and nothing predicted covers this step: hold still
            self._t += 1
            return ArmCommand(dxyz=(0.0, 0.0, 0.0), gripper=-1.0)
        if self.cfg.ensemble_m is None:
            t0, c = self._chunks[-1]
            a = c[self._t - t0]
        else:
            preds = np.stack([c[self._t - t0] for t0, c in self._chunks])
            w = np.exp(-self.cfg.ensemble_m * np.arange(len(preds)))
            a = (w[:, None] * preds).sum(0) / w.sum()
        self._t += 1
        s = self.cfg.action_scale_m
        return ArmCommand(dxyz=(float(a[0]) * s, float(a[1]) * s, float(a[2]) * s), gripper=float(a[3]))
