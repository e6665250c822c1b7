"""The plan critic against verified labels, on its held-out seeds: AUC (with a bootstrap interval over starts), AUC
within each task, accuracy at the threshold chosen on the validation seeds next to VideoAgent's GPT-4 judge (69 %
binary, 75 % weighted prompt), and best-of-n selection (critic top-1 against the mean and pass@n).

    plansight collect plans --seeds 1100-1159 --workers 2 --out data/plan_labels
    plansight train critic --labels data/plan_labels --out runs/critic_cnn
    plansight train critic --labels data/plan_labels --encoder act_jepa --out runs/critic_jepa
    python -m bench.critic --labels data/plan_labels --critic cnn=runs/critic_cnn --critic act_jepa=runs/critic_jepa

A baseline scores each plan by its (task, camera)'s success rate on the training seeds: what a critic gets from
knowing only where a plan comes from. Writes ``bench/results/critic.json`` and ``docs/img/critic_roc.png``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

import numpy as np

from bench.common import RESULTS, ROOT, machine
from plansight.agent.learning import critic_metrics as cm
from plansight.agent.learning.labelled_plans import load_labels
from plansight.launch.rundir import write_json

PNG = ROOT / "docs" / "img" / "critic_roc.png"


def prior_scores(data: dict, train: np.ndarray, test: np.ndarray) -> np.ndarray:
    """Each test plan's (task, camera) success rate over the training plans (Laplace-smoothed)."""
    key = np.char.add(np.char.add(data["task"], "/"), data["camera"])
    y = data["success"]
    table = {k: (y[train & (key == k)].sum() + 1) / ((train & (key == k)).sum() + 2) for k in np.unique(key)}
    return np.array([table[k] for k in key[test]])


def judge(scores: np.ndarray, data: dict, test: np.ndarray, threshold: float | None) -> dict:
    y, starts = data["success"][test], data["start"][test]
    out = {"auc": cm.auc(scores, y), "auc_ci95": cm.auc_interval(scores, y, starts),
           "within_task_auc": cm.within_group_auc(scores, y, data["task"][test]),
           "best_of_n": cm.best_of_n(scores, y, starts)}
    if threshold is not None:
        out["at_threshold"] = cm.accuracy(scores, y, threshold)
    return out


def plot_roc(curves: dict[str, tuple[np.ndarray, np.ndarray, float]], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4.6, 4.2), dpi=110)
    for name, (fpr, tpr, a) in curves.items():
        ax.plot(fpr, tpr, label=f"{name} (AUC {a:.3f})")
    ax.plot([0, 1], [0, 1], "k:", lw=0.8)
    ax.set_xlabel("false-positive rate")
    ax.set_ylabel("true-positive rate")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--labels", type=Path, default=Path("data/plan_labels"))
    ap.add_argument("--critic", action="append", required=True, help="NAME=PATH of a trained critic (repeatable)")
    ap.add_argument("--out", type=Path, default=RESULTS / "critic.json")
    ap.add_argument("--png", type=Path, default=PNG)
    args = ap.parse_args(argv)
    from plansight.agent.planning.critic import PlanCritic, load_critic_net

    critics = {}
    for item in args.critic:
        name, sep, path = item.partition("=")
        if not sep:
            print(f"--critic: expected NAME=PATH, got {item!r}", file=sys.stderr)
            return 2
        critics[name] = path
    data = load_labels(args.labels)
    extras = {name: load_critic_net(path)[1]["extra"] for name, path in critics.items()}
    splits = {(tuple(e["test_seeds"]), tuple(e["val_seeds"])) for e in extras.values()}
    if len(splits) != 1:
        print(f"the critics were trained on different splits: {sorted(splits)}", file=sys.stderr)
        return 2
    (t_lo, t_hi), (v_lo, v_hi) = next(iter(splits))
    seed = data["seed"]
    test = (seed >= t_lo) & (seed <= t_hi)
    train = ~test & ~((seed >= v_lo) & (seed <= v_hi))
    y = data["success"][test]
    if not test.any():
        print(f"{args.labels}: no plans from the held-out seeds {t_lo}-{t_hi}", file=sys.stderr)
        return 2
    results, curves = {}, {}
    for name, path in critics.items():
        critic = PlanCritic(path)
        s = critic.score_frames(data["frames"][test], data["task"][test], data["camera"][test])
        results[name] = {"checkpoint": path, "encoder": critic.net.cfg.encoder, "val_auc": extras[name]["val_auc"],
                         "step": extras[name]["step"], "train_counts": extras[name]["counts"],
                         **judge(s, data, test, critic.threshold)}
        if results[name]["auc"] is not None:
            curves[name] = (*cm.roc_points(s, y), results[name]["auc"])
    s = prior_scores(data, train, test)
    results["task_camera_prior"] = judge(s, data, test, None)
    if results["task_camera_prior"]["auc"] is not None:
        curves["(task, camera) prior"] = (*cm.roc_points(s, y), results["task_camera_prior"]["auc"])
    n_starts = len(np.unique(data["start"][test]))
    doc = {"name": "critic", "command": "python -m bench.critic " + " ".join(argv or sys.argv[1:]),
           "machine": machine(), "date": dt.datetime.now(dt.UTC).isoformat(), "labels": str(args.labels),
           "test_seeds": [t_lo, t_hi], "val_seeds": [v_lo, v_hi],
           "test": {"plans": int(test.sum()), "starts": n_starts, "successes": int(y.sum())},
           "labels_meta": json.loads((args.labels / "meta.json").read_text()),
           "reference": {"videoagent_gpt4_binary_accuracy": 0.69, "videoagent_gpt4_weighted_accuracy": 0.75},
           "critics": results}
    write_json(args.out, doc)
    if curves:
        plot_roc(curves, args.png, f"plan critic, held-out seeds {t_lo}–{t_hi}: {int(test.sum())} plans, "
                                   f"{int(y.sum())} succeeded")
    summary = {k: {"auc": v["auc"], "within_task": v["within_task_auc"]["mean"],
                   "acc": v.get("at_threshold", {}).get("accuracy", {}).get("p")} for k, v in results.items()}
    print(json.dumps({"test": doc["test"], "critics": summary}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
