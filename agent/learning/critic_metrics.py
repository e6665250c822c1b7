"""How a plan critic is judged against verified labels (CriticBench), and what selecting with it buys (Sharpening,
B-STaR's exploitation), from scores of labelled plans grouped by start.

All functions take ``scores`` (N,) float, ``labels`` (N,) bool (the plan succeeded when executed) and, where plans
are grouped, ``starts`` (N,) int (plans sampled at the same start share it, in sampling order).
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import roc_auc_score, roc_curve

from plansight.agent.shared.stats import wilson


def rate(k: int, n: int) -> dict:
    """``k`` of ``n`` with its 95 % Wilson interval."""
    lo, hi = wilson(k, n) if n else (0.0, 1.0)
    return {"k": int(k), "n": int(n), "p": round(k / n, 4) if n else None, "ci95": [round(lo, 4), round(hi, 4)]}


def auc(scores: np.ndarray, labels: np.ndarray) -> float | None:
    """ROC AUC; ``None`` when one class is missing."""
    if labels.all() or not labels.any():
        return None
    return float(roc_auc_score(labels, scores))


def auc_interval(scores: np.ndarray, labels: np.ndarray, starts: np.ndarray, resamples: int = 1000,
                 seed: int = 0) -> list[float] | None:
    """95 % bootstrap interval of the AUC, resampling whole starts (plans of one start are not independent)."""
    groups = [np.flatnonzero(starts == s) for s in np.unique(starts)]
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(resamples):
        idx = np.concatenate([groups[i] for i in rng.integers(0, len(groups), len(groups))])
        a = auc(scores[idx], labels[idx])
        if a is not None:
            values.append(a)
    if not values:
        return None
    return [round(float(np.percentile(values, 2.5)), 4), round(float(np.percentile(values, 97.5)), 4)]


def within_group_auc(scores: np.ndarray, labels: np.ndarray, groups: np.ndarray) -> dict:
    """The AUC inside each group (e.g. task) that has both classes, and their mean: what a critic knows beyond
    which group a plan comes from."""
    per = {str(g): auc(scores[groups == g], labels[groups == g]) for g in np.unique(groups)}
    vals = [v for v in per.values() if v is not None]
    return {"mean": round(float(np.mean(vals)), 4) if vals else None, "groups": len(vals),
            "per_group": {k: (round(v, 4) if v is not None else None) for k, v in per.items()}}


def accuracy(scores: np.ndarray, labels: np.ndarray, threshold: float) -> dict:
    """Accuracy and balanced accuracy of "accept when score ≥ threshold", and the always-reject baseline."""
    pred = scores >= threshold
    bal = 0.5 * ((pred[labels].mean() if labels.any() else 0.0) + ((~pred[~labels]).mean() if (~labels).any() else 0.0))
    return {"threshold": round(float(threshold), 4), "accuracy": rate(int((pred == labels).sum()), len(labels)),
            "balanced_accuracy": round(float(bal), 4),
            "true_positive_rate": rate(int((pred & labels).sum()), int(labels.sum())),
            "true_negative_rate": rate(int((~pred & ~labels).sum()), int((~labels).sum())),
            "always_reject_accuracy": rate(int((~labels).sum()), len(labels))}


def best_of_n(scores: np.ndarray, labels: np.ndarray, starts: np.ndarray, ns: tuple[int, ...] = (1, 2, 4)) -> dict:
    """Per n: over the starts with at least n plans (the first n sampled), the single-sample success (mean over
    the n), the critic's top-1 success, pass@n (any of the n succeeds), and top-1 minus mean (B-STaR's
    exploitation)."""
    out = {}
    for n in ns:
        mean_k, top_k, any_k, count = 0.0, 0, 0, 0
        for s in np.unique(starts):
            idx = np.flatnonzero(starts == s)[:n]
            if len(idx) < n:
                continue
            count += 1
            mean_k += float(labels[idx].mean())
            top_k += int(labels[idx[np.argmax(scores[idx])]])
            any_k += int(labels[idx].any())
        if count:
            out[f"n{n}"] = {"starts": count, "mean": round(mean_k / count, 4), "critic_top1": rate(top_k, count),
                            "pass_at_n": rate(any_k, count), "exploitation": round(top_k / count - mean_k / count, 4)}
    return out


def roc_points(scores: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """False- and true-positive rates of the ROC curve."""
    fpr, tpr, _ = roc_curve(labels, scores)
    return fpr, tpr
