"""``make bench``: run every benchmark, write bench/results/*.json and update BENCHMARKS.md.

    python -m bench.run                 # everything
    python -m bench.run --seeds 3       # fewer mission seeds
"""

from __future__ import annotations

import argparse
import json
import logging

from bench import drone_foundation


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, default=10, help="mission seeds for the avoidance evaluation")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    for noisy in ("matplotlib", "OpenGL", "PIL"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    figures = drone_foundation.run(n_seeds=args.seeds)
    print(json.dumps({k: v for k, v in figures.items() if k != "missions"}, indent=2))


if __name__ == "__main__":
    main()
