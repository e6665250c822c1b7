"""Self-conditioned refinement (VideoAgent's self-conditioning consistency) on ``VideoPlanNet``.

A refinement model is a ``VideoPlanNet`` with ``self_condition=True``: it sees the observed frame and a previous
plan and samples a new plan from fresh noise. It shares its parameters with the generator: with no previous plan
it generates (the slot then holds the observed frame repeated, see ``video_model``).

Two things here are used by training and by sampling alike, so they cannot drift apart (VideoAgent's released code
fed its condition in [0, 1/255] in training and [0, 1] at inference, and in another channel order):

- ``refine_condition``: plans as uint8 frames (and metres) → the condition tensor, in [−1, 1] like the frames the
  model diffuses. Sampling first turns its previous sample into uint8 frames, exactly what training stores.
- ``make_self_conditioned``: a plain trained model → a self-conditioned one whose new input weights are zero, so it
  starts as the plain model (refinement then learns only what the previous plan adds).
"""

from __future__ import annotations

import numpy as np
import torch

from plansight.agent.planning.video_diffusion import to_rgbd_tensor
from plansight.agent.planning.video_model import VideoPlanNet
from plansight.agent.shared.frames import to_tensor


def refine_condition(frames: np.ndarray, depth: np.ndarray | None, config) -> torch.Tensor:
    """(n, F, h, w, 3) uint8 plans (and (n, F, h, w) metres for an RGB-D ``config``) → (n, C, F, h, w) float32 in
    [−1, 1], the ``prev`` input of a self-conditioned ``VideoPlanNet`` whose config is ``config``."""
    frames = np.asarray(frames)
    if frames.dtype != np.uint8 or frames.ndim != 5 or frames.shape[-1] != 3:
        raise ValueError(f"plans to refine must be (n, F, h, w, 3) uint8, got {frames.shape} {frames.dtype}")
    if config.depth:
        if depth is None:
            raise ValueError("an RGB-D refiner needs the plans' depth")
        x = to_rgbd_tensor(frames, np.asarray(depth, np.float32), config.depth_near_m, config.depth_far_m)
    else:
        x = to_tensor(frames)
    return x.movedim(2, 1).contiguous()  # (n, F, C, h, w) -> (n, C, F, h, w)


def make_self_conditioned(base: VideoPlanNet) -> VideoPlanNet:
    """A self-conditioned copy of ``base`` (same weights; the previous-plan input channels zero): on any input its
    output equals ``base``'s until it is trained."""
    if base.input_copies == 3:
        return base
    cfg = dict(base.config)
    cfg = {k: v for k, v in cfg.items() if not k.startswith("_")}
    net = VideoPlanNet(**{**cfg, "self_condition": True})
    state = base.state_dict()
    w = state["conv_in.weight"]  # (out, 2C, k, k)
    ch = base.channels
    new = torch.zeros(w.shape[0], 3 * ch, *w.shape[2:], dtype=w.dtype)
    new[:, : 2 * ch] = w
    state["conv_in.weight"] = new
    net.load_state_dict(state)
    return net.to(base.device)
