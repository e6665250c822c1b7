"""B-STaR's monitors for one online round of plans sampled and executed, and the rule that sets the next round's
sampling from them (``plansight improve``).

* **Exploration**: pass@n (a start where at least one of its n plans succeeded) and *distinct* successful plans
  per start: successes whose object trajectories (``object_path``: the task object's world position at 10 evenly
  spaced steps of each execution, metres) differ by more than ``DISTINCT_M`` = 2 cm at some sample from every
  success counted before (greedy, in sampling order).
* **Exploitation**: the critic's top-1 success among the n minus the mean success of the n (its gain as a
  selector), and its AUC on the round's plans.
* **Balance** (B-STaR's balance score, per start, averaged): min(distinct successes / n_target, 1) × the share of
  successes among the plans the critic accepts (score ≥ its threshold); 0 at a start where it accepts none.

The rule (``next_sampling``): exploration is starved when pass@n is below ``min_pass`` — then n doubles (at most
``max_n``) and guidance drops by ``guidance_step`` (at least ``min_guidance``: weaker guidance, more diverse
plans); when the critic's top-1 does no better than the mean, more samples cannot be exploited, so n stays;
otherwise n and guidance stay. B-STaR searches its configurations on a probe set; this rule avoids that cost.
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from plansight.agent.learning import critic_metrics as cm

DISTINCT_M = 0.02


class SamplingRule(BaseModel):
    """Bounds and steps of ``next_sampling``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_pass: float = Field(0.3, ge=0.0, le=1.0)
    max_n: int = Field(16, ge=1, le=64)
    guidance_step: float = Field(0.25, ge=0.0)
    min_guidance: float = Field(0.5, ge=0.0)
    n_target: int = Field(2, ge=1)


def distinct_successes(paths: np.ndarray, success: np.ndarray, tol_m: float = DISTINCT_M) -> int:
    """Successful plans of one start whose object trajectories (n, K, 3) differ by more than ``tol_m``."""
    kept: list[np.ndarray] = []
    for p, ok in zip(paths, success, strict=True):
        if ok and not np.isnan(p).any() and all(np.linalg.norm(p - q, axis=1).max() > tol_m for q in kept):
            kept.append(p)
    return len(kept)


def monitors(success: np.ndarray, starts: np.ndarray, tasks: np.ndarray, paths: np.ndarray,
             scores: np.ndarray | None = None, threshold: float | None = None, n_target: int = 2) -> dict:
    """The round's monitors (module docstring) overall and per task. ``success`` (N,) bool, ``starts`` (N,) int,
    ``tasks`` (N,) str, ``paths`` (N, K, 3); ``scores`` (N,) the critic's, with its ``threshold``."""
    def block(mask: np.ndarray) -> dict:
        ids = np.unique(starts[mask])
        distinct = [distinct_successes(paths[starts == s], success[starts == s]) for s in ids]
        out = {"starts": len(ids), "plans": int(mask.sum()), "mean_success": cm.rate(int(success[mask].sum()),
                                                                                      int(mask.sum())),
               "pass_at_n": cm.rate(sum(bool(success[starts == s].any()) for s in ids), len(ids)),
               "distinct_successes_per_start": round(float(np.mean(distinct)), 4) if ids.size else 0.0}
        if scores is not None:
            bon = cm.best_of_n(scores[mask], success[mask], starts[mask], ns=(int(np.bincount(starts[mask]).max()),))
            top = next(iter(bon.values()), None)
            out["critic_top1"] = top["critic_top1"] if top else None
            out["exploitation"] = top["exploitation"] if top else None
            out["critic_auc"] = cm.auc(scores[mask], success[mask])
            if threshold is not None:
                bal = []
                for s, d in zip(ids, distinct, strict=True):
                    acc = scores[starts == s] >= threshold
                    prec = float(success[starts == s][acc].mean()) if acc.any() else 0.0
                    bal.append(min(d / n_target, 1.0) * prec)
                out["balance"] = round(float(np.mean(bal)), 4) if bal else 0.0
        return out

    everything = np.ones(len(success), bool)
    return {**block(everything), "per_task": {str(t): block(tasks == t) for t in np.unique(tasks)}}


def next_sampling(mon: dict, n: int, guidance: float, rule: SamplingRule | None = None) -> tuple[int, float, str]:
    """The next round's (n, guidance) and why, from this round's ``monitors``."""
    rule = rule or SamplingRule()
    pass_n = mon["pass_at_n"]["p"] or 0.0
    if pass_n < rule.min_pass:
        return (min(2 * n, rule.max_n), max(guidance - rule.guidance_step, rule.min_guidance),
                f"exploration starved (pass@{n} {pass_n:.2f} < {rule.min_pass}): more and more diverse samples")
    gain = mon.get("exploitation")
    if gain is not None and gain <= 0.0:
        return n, guidance, f"the critic's top-1 gains {gain:+.3f} over the mean: more samples would not be exploited"
    return n, guidance, f"balanced (pass@{n} {pass_n:.2f}, critic gain {gain if gain is not None else 'n/a'})"
