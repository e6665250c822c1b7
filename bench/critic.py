"""The plan critic against verified labels, on its held-out seeds: AUC (with a bootstrap interval over starts), AUC
within each task, accuracy at the threshold chosen on the validation seeds next to VideoAgent's GPT-4 judge (69 %
binary, 75 % weighted prompt), and best-of-n selection (critic top-1 against the mean and pass@n).

    plansight collect plans --seeds 1100-1159 --workers 2 --out data/plan_labels
    plansight train critic --labels data/plan_labels --out runs/critic_cnn
    plansight train critic --labels data/plan_labels --encoder act_jepa --out runs/critic_jepa
    python -m bench.critic --labels data/plan_labels --critic cnn=runs/critic_cnn --critic act_jepa=runs/critic_jepa \\
        --record

A baseline scores each plan by its (task, camera)'s success rate on the training seeds: what a critic gets from
knowing only where a plan comes from. Writes ``docs/img/critic_roc.png`` and, with ``--record``,
``bench/results/critic.json`` and the BENCHMARKS.md section (otherwise both under ``runs/bench``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from bench import common
from bench.common import ROOT
from plansight.agent.learning import critic_metrics as cm
from plansight.agent.learning.labelled_plans import load_labels
from plansight.agent.learning.train_critic import split_masks

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
    ap.add_argument("--png", type=Path, default=None, help="ROC curves (default: docs/img/critic_roc.png with "
                    "--record, else runs/bench/critic_roc.png)")
    ap.add_argument("--record", action="store_true", help="write bench/results/critic.json and BENCHMARKS.md")
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
    masks = split_masks(data["seed"], (t_lo, t_hi), (v_lo, v_hi))
    test, train = masks["test"], masks["train"]
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
    figures = {"labels": str(args.labels), "test_seeds": [t_lo, t_hi], "val_seeds": [v_lo, v_hi],
               "test": {"plans": int(test.sum()), "starts": n_starts, "successes": int(y.sum())},
               "labels_meta": json.loads((args.labels / "meta.json").read_text()),
               "reference": {"videoagent_gpt4_binary_accuracy": 0.69, "videoagent_gpt4_weighted_accuracy": 0.75},
               "critics": results}
    if curves:
        png = args.png or (PNG if args.record else common.scratch_dir() / "critic_roc.png")
        plot_roc(curves, png, f"held-out seeds {t_lo}–{t_hi}: {int(test.sum())} plans, "
                                   f"{int(y.sum())} succeeded")
    common.RECORD = args.record
    common.record("critic", figures, markdown(figures))
    summary = {k: {"auc": v["auc"], "within_task": v["within_task_auc"]["mean"],
                   "acc": v.get("at_threshold", {}).get("accuracy", {}).get("p")} for k, v in results.items()}
    print(json.dumps({"test": figures["test"], "critics": summary}))
    return 0


def _pct(r: dict) -> str:
    lo, hi = r["ci95"]
    return f"{r['k']}/{r['n']} = {100 * r['p']:.1f} % [{100 * lo:.1f}, {100 * hi:.1f}]" if r["n"] else "–"


def markdown(f: dict) -> str:
    t = f["test"]
    meta = f["labels_meta"]
    lines = [
        "## Plan critic: judged against executed plans (held-out seeds)",
        "",
        f"Plans: `{meta['checkpoint']}`, {meta['candidates']} sampled per start, each executed once (0 replans, "
        f"{meta['res']}) and labelled by Meta-World's success flag (`plansight collect plans`). Held-out: seeds "
        f"{f['test_seeds'][0]}–{f['test_seeds'][1]}, {t['starts']} starts, {t['plans']} plans, {t['successes']} "
        f"successful; the step kept and the threshold come from seeds {f['val_seeds'][0]}–{f['val_seeds'][1]}; the "
        "rest train. Test seeds 0–24 are never labelled. Intervals: 95 %, AUC by bootstrap over starts, rates by "
        "Wilson.",
        "",
        "| Critic | AUC | AUC − the prior's | AUC within a task (mean) | Accuracy at the threshold | Balanced accuracy "
        "| Accepts successes | Rejects failures |",
        "|---|---|---|---|---|---|---|---|",
    ]
    prior = f["critics"].get("task_camera_prior", {}).get("auc")
    for name, v in f["critics"].items():
        ci = v["auc_ci95"]
        auc = f"{v['auc']:.3f} [{ci[0]:.3f}, {ci[1]:.3f}]" if v["auc"] is not None and ci else "–"
        gain = f"{v['auc'] - prior:+.3f}" if v["auc"] is not None and prior is not None else "–"
        w = v["within_task_auc"]
        within = f"{w['mean']:.3f} ({w['groups']} tasks)" if w["mean"] is not None else "–"
        at = v.get("at_threshold")
        if at:
            lines.append(f"| {name} | {auc} | {gain} | {within} | {_pct(at['accuracy'])} | {at['balanced_accuracy']:.3f} | "
                         f"{_pct(at['true_positive_rate'])} | {_pct(at['true_negative_rate'])} |")
        else:
            lines.append(f"| {name} | {auc} | {gain} | {within} | – | – | – | – |")
    lines += ["", "The prior scores a plan by its (task, camera)'s success rate on the training seeds: most of the pooled "
                  "AUC comes from which task and camera a plan belongs to (some never succeed); the within-task AUC "
                  "and best of n are what a critic adds."]
    first = next((v for v in f["critics"].values() if v.get("at_threshold")), None)
    if first:
        lines += ["", f"Rejecting every plan is {_pct(first['at_threshold']['always_reject_accuracy'])} accurate "
                      "here (successes are rare), so accuracy alone says little; VideoAgent's GPT-4 judge: 69 % "
                      "binary, 75 % with its weighted prompt (on its own plans, reference §6)."]
    lines += ["", "Best of n (the first n plans of each held-out start; critic top-1 against one sample's mean "
                  "success and pass@n, the ceiling of any selector):", "",
              "| Selector | n | Starts | One sample (mean) | Critic's top-1 | pass@n |", "|---|---|---|---|---|---|"]
    for name, v in f["critics"].items():
        for n, b in v["best_of_n"].items():
            lines.append(f"| {name} | {n[1:]} | {b['starts']} | {100 * b['mean']:.1f} % | {_pct(b['critic_top1'])} | "
                         f"{_pct(b['pass_at_n'])} |")
    lines += ["", "![ROC curves of the plan critics on held-out plans](docs/img/critic_roc.png)"]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
