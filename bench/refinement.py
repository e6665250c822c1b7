"""Refinement measured as Confidence vs Critique: the same starts planned without and with refinement, each plan
executed once (0 replans), episodes paired by (task, camera, seed).

Both evaluations are ordinary ``plansight eval metaworld`` runs; the refined planner draws the same first sample
(the same seed) and refines it, so the pair shares its start state, its unrefined plan and the executor's seed:

    plansight eval metaworld --planner diffusion --checkpoint builtin:video_mw_64x48 --tasks all --seeds 100-100 \
        --replan 0 --videos 0 --out runs/refine_before
    plansight eval metaworld ... --planner-opt 'refiner={type: self_conditioned, checkpoint: runs/refiner/model}' \
        --out runs/refine_after
    python -m bench.refinement --before runs/refine_before --after runs/refine_after

Writes ``bench/results/refinement.json``: confidence P(success after | success before), critique
P(success after | failure before), their counts and 95 % Wilson intervals, and the net change.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bench.common import RESULTS, machine
from plansight.agent.learning.critic_metrics import rate
from plansight.launch.eval_metaworld import read_log
from plansight.launch.rundir import write_json


def paired(before: Path, after: Path) -> list[tuple[str, bool, bool]]:
    """(task/camera/seed, success before, success after) for the starts both runs finished."""
    def by_start(path: Path) -> dict[str, bool]:
        return {f"{r['task']}/{r['camera']}/{r['seed']}": bool(r["success"])
                for r in read_log(path / "episodes.jsonl").values() if r.get("replans") == 0}

    b, a = by_start(before), by_start(after)
    return [(k, b[k], a[k]) for k in sorted(b.keys() & a.keys())]


def measures(pairs: list[tuple[str, bool, bool]]) -> dict:
    ok_before = [p for p in pairs if p[1]]
    fail_before = [p for p in pairs if not p[1]]
    n = len(pairs)
    acc_b, acc_a = sum(p[1] for p in pairs), sum(p[2] for p in pairs)
    return {"starts": n, "before": rate(acc_b, n), "after": rate(acc_a, n),
            "confidence": rate(sum(p[2] for p in ok_before), len(ok_before)),
            "critique": rate(sum(p[2] for p in fail_before), len(fail_before)),
            "net_change": round((acc_a - acc_b) / n, 4) if n else None}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", type=Path, required=True)
    ap.add_argument("--after", type=Path, required=True)
    ap.add_argument("--note", default="", help="what the two runs were (model, refiner step, seeds)")
    args = ap.parse_args(argv)
    pairs = paired(args.before, args.after)
    if not pairs:
        print(f"no paired 0-replan episodes in {args.before} and {args.after}", file=sys.stderr)
        return 2
    import datetime as dt

    out = {"name": "refinement", "command": "python -m bench.refinement " + " ".join(argv or sys.argv[1:]),
           "note": args.note, "machine": machine(), "date": dt.datetime.now(dt.UTC).isoformat(),
           "seeds": sorted({int(k.rsplit("/", 1)[1]) for k, _, _ in pairs}), **measures(pairs),
           "per_start": [{"start": k, "before": b, "after": a} for k, b, a in pairs]}
    write_json(RESULTS / "refinement.json", out)
    print(json.dumps({k: out[k] for k in ("starts", "before", "after", "confidence", "critique", "net_change")}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
