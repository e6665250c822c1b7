"""Training of the plan critic (``plansight train critic``) on plans labelled by execution.

Split by start seed (``TrainCriticConfig``): ``test_seeds`` are held out entirely (``bench.critic`` measures on
them), ``val_seeds`` pick the kept weights (best validation AUC, checked every ``eval_every`` steps) and the
acceptance threshold (the score maximising balanced accuracy on them), the remaining seeds train. The loss is
binary cross-entropy with the positives weighted by the training split's negative/positive ratio (successes are
rare). The ACT-JEPA encoder is frozen, so its frame features are computed once; the CNN trains end to end, with
a random shift of whole plans (``shift_px``).

Outputs in ``out/``: ``config.json`` (the network's config), ``model.safetensors`` (``save_checkpoint``: weights,
the network's config, ``extra`` with the threshold, the validation AUC, the step kept, the split and the label
counts), ``log.jsonl`` (step, loss, val AUC). A run takes minutes on 2 cores; a killed run is simply run again
(nothing partial is kept as the model).
"""

from __future__ import annotations

import copy
import json
import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch

from plansight.agent.learning.checkpoint import save_checkpoint
from plansight.agent.learning.critic_metrics import auc
from plansight.agent.learning.labelled_plans import load_labels
from plansight.agent.planning.config_critic import CriticNetConfig, TrainCriticConfig
from plansight.agent.planning.critic_net import PlanCriticNet
from plansight.agent.shared.atomic import JsonlAppender, atomic_path
from plansight.agent.shared.frames import to_tensor

log = logging.getLogger(__name__)


def split_masks(seed: np.ndarray, test_seeds: Sequence[int], val_seeds: Sequence[int]) -> dict[str, np.ndarray]:
    """Boolean masks ``train``, ``val``, ``test`` over the labelled plans, by their start seed (inclusive
    ``(first, last)`` ranges; ``TrainCriticConfig``'s, or those a checkpoint records)."""
    test = (seed >= test_seeds[0]) & (seed <= test_seeds[1])
    val = (seed >= val_seeds[0]) & (seed <= val_seeds[1]) & ~test
    return {"train": ~test & ~val, "val": val, "test": test}


def balanced_threshold(scores: np.ndarray, labels: np.ndarray) -> float:
    """The score threshold (accept when ≥) maximising balanced accuracy; 0.5 when one class is missing."""
    if labels.all() or not labels.any():
        return 0.5
    best, best_t = -1.0, 0.5
    for t in np.unique(scores):
        pred = scores >= t
        bacc = 0.5 * (pred[labels].mean() + (~pred[~labels]).mean())
        if bacc > best:
            best, best_t = bacc, float(t)
    return best_t


def _shift(x: torch.Tensor, px: int, gen: torch.Generator) -> torch.Tensor:
    """Shift each plan (B, T, 3, h, w) by one random (dy, dx) in [−px, px], replicate padding."""
    if px <= 0:
        return x
    b, t, c, h, w = x.shape
    pad = torch.nn.functional.pad(x.flatten(1, 2), (px, px, px, px), mode="replicate").view(b, t, c, h + 2 * px,
                                                                                              w + 2 * px)
    d = torch.randint(0, 2 * px + 1, (b, 2), generator=gen)
    return torch.stack([pad[i, :, :, d[i, 0]:d[i, 0] + h, d[i, 1]:d[i, 1] + w] for i in range(b)])


def train_critic(labels: Path | Sequence[Path], out: Path, cfg: TrainCriticConfig,
                 on_step: Callable[[int, float, float | None], None] | None = None) -> dict:
    """Train on ``labels`` (``plansight collect plans``), write ``out/``; returns the checkpoint's ``extra``."""
    t0 = time.perf_counter()
    data = load_labels(labels)
    masks = split_masks(data["seed"], cfg.test_seeds, cfg.val_seeds)
    y = data["success"]
    for name in ("train", "val"):
        m = masks[name]
        if not m.any() or y[m].all() or not y[m].any():
            raise ValueError(f"the {name} split ({int(m.sum())} plans, {int(y[m].sum())} successful) needs "
                             "both successes and failures; label more seeds")
    tasks = tuple(sorted(set(data["task"].tolist())))
    cameras = tuple(sorted(set(data["camera"].tolist())))
    _, t, h, w, _ = data["frames"].shape
    jepa = None
    if cfg.encoder == "act_jepa":
        from plansight.agent.learning.train_jepa import load_model
        from plansight.agent.shared.builtin import resolve_model

        jm = load_model(resolve_model(cfg.jepa_checkpoint))
        jepa = jm.cfg.model_dump(mode="json")
    net_cfg = CriticNetConfig(encoder=cfg.encoder, jepa=jepa, tasks=tasks, cameras=cameras, frames=t, width=w,
                              height=h, dim=cfg.dim, hidden=cfg.hidden, dropout=cfg.dropout)
    torch.manual_seed(cfg.seed)
    net = PlanCriticNet(net_cfg)
    if cfg.encoder == "act_jepa":
        net.jepa.load_state_dict(jm.encoder.state_dict())
    task_ids = torch.tensor([tasks.index(x) for x in data["task"]], dtype=torch.int64)
    cam_ids = torch.tensor([cameras.index(x) for x in data["camera"]], dtype=torch.int64)
    labels_t = torch.from_numpy(y.astype(np.float32))

    feats = None
    if not net.trainable_encoder:  # frozen: encode every plan once
        net.eval()
        with torch.no_grad():
            feats = torch.cat([net.encode(to_tensor(data["frames"][i:i + 256]), task_ids[i:i + 256],
                                          cam_ids[i:i + 256]) for i in range(0, len(y), 256)])

    def logits(idx: np.ndarray, train: bool, gen: torch.Generator | None = None) -> torch.Tensor:
        ti, ci = task_ids[idx], cam_ids[idx]
        if feats is not None:
            return net.judge(feats[idx], ti, ci)
        x = to_tensor(data["frames"][idx])
        if train and gen is not None:
            x = _shift(x, cfg.shift_px, gen)
        return net(x, ti, ci)

    @torch.no_grad()
    def scores(m: np.ndarray) -> np.ndarray:
        net.eval()
        idx = np.flatnonzero(m)
        out_ = torch.cat([torch.sigmoid(logits(idx[i:i + 256], False)) for i in range(0, len(idx), 256)])
        net.train()
        return out_.numpy()

    train_idx = np.flatnonzero(masks["train"])
    n_pos = int(y[train_idx].sum())
    pos_weight = torch.tensor((len(train_idx) - n_pos) / max(n_pos, 1))
    params = [p for p in net.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=cfg.learning_rate, weight_decay=cfg.weight_decay)
    gen = torch.Generator().manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    out.mkdir(parents=True, exist_ok=True)
    (out / "log.jsonl.tmp").unlink(missing_ok=True)  # left by a killed run
    best = (-1.0, 0, copy.deepcopy(net.state_dict()))
    net.train()
    with JsonlAppender(out / "log.jsonl.tmp") as logf:
        for step in range(1, cfg.steps + 1):
            idx = rng.choice(train_idx, size=min(cfg.batch_size, len(train_idx)), replace=False)
            loss = torch.nn.functional.binary_cross_entropy_with_logits(logits(idx, True, gen), labels_t[idx],
                                                                        pos_weight=pos_weight)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            val_auc = None
            if step % cfg.eval_every == 0 or step == cfg.steps:
                val_auc = auc(scores(masks["val"]), y[masks["val"]])  # both classes: checked above
                if val_auc > best[0]:
                    best = (val_auc, step, copy.deepcopy(net.state_dict()))
            logf.append({"step": step, "loss": round(loss.item(), 5), "val_auc": val_auc})
            if on_step:
                on_step(step, loss.item(), val_auc)
    (out / "log.jsonl.tmp").replace(out / "log.jsonl")
    net.load_state_dict(best[2])
    val_scores = scores(masks["val"])
    sources = [str(p) for p in ([labels] if isinstance(labels, (str, Path)) else labels)]
    extra = {"threshold": balanced_threshold(val_scores, y[masks["val"]]), "val_auc": round(best[0], 4),
             "step": best[1], "labels": sources, "test_seeds": list(cfg.test_seeds),
             "val_seeds": list(cfg.val_seeds),
             "counts": {k: {"plans": int(m.sum()), "successes": int(y[m].sum())} for k, m in masks.items()},
             "seconds": round(time.perf_counter() - t0, 1), "train_config": cfg.model_dump(mode="json")}
    save_checkpoint(out / "model.safetensors", net, net_cfg.model_dump(mode="json"), best[1], extra=extra)
    with atomic_path(out / "config.json") as tmp:  # the folder is then a model ``builtin:`` can name
        tmp.write_text(json.dumps({"kind": "plan_critic", **net_cfg.model_dump(mode="json")}, indent=2))
    log.info("critic: val AUC %.3f at step %d, threshold %.3f", best[0], best[1], extra["threshold"])
    return extra
