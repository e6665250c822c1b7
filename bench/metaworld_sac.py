"""Meta-World sanity baseline (issue 22): stable-baselines3 SAC on state for two tasks.

``plansight/MetaWorldState-v0`` (sim/metaworld/rl_env.py): Meta-World's 39-D state, its shaped reward, 200-step
episodes, a new task variation per reset drawn from seeds ≥ 10⁶ (never a video-planning test or tuning seed).
SAC with the settings of ``agent/learning/rl_algos.DEFAULTS["sac"]`` (SB3's 256-256 MLP, one gradient step per
env step, learning from step 1000). Every ``eval_every`` steps, ``eval_episodes`` deterministic episodes give the
mean return and the success rate (Meta-World's own flag at any step); the final policy is then evaluated on 20
fixed evaluation resets (``reset(seed=5000 + k)``) and compared with a uniform random policy on the same resets.

    .venv/bin/python -m bench.metaworld_sac                               # both tasks, 20k steps each
    .venv/bin/python -m bench.metaworld_sac --tasks handle-press --steps 5000
"""

from __future__ import annotations

import argparse
import json
import logging
import time

import numpy as np

from bench.common import ROOT, record, wilson

log = logging.getLogger(__name__)

TASKS = ("button-press-topdown", "handle-press")
EVAL_SEEDS = range(5000, 5020)
OUT = ROOT / "runs" / "metaworld_sac"


def evaluate(env, policy, seeds) -> dict:
    """Deterministic episodes on ``seeds``: mean return, successes (any step), per episode."""
    returns, successes = [], 0
    for s in seeds:
        obs, _ = env.reset(seed=int(s))
        total, ok, done = 0.0, False, False
        while not done:
            obs, r, term, trunc, info = env.step(policy(obs))
            total += r
            ok = ok or info["success"]
            done = term or trunc
        returns.append(total)
        successes += ok
    lo, hi = wilson(successes, len(returns))
    return {"episodes": len(returns), "successes": successes, "wilson_95": [round(lo, 3), round(hi, 3)],
            "mean_return": round(float(np.mean(returns)), 1)}


def train_task(task: str, steps: int, eval_every: int, eval_episodes: int, seed: int = 0) -> dict:
    from stable_baselines3 import SAC

    from plansight.agent.learning.rl_algos import DEFAULTS
    from plansight.sim.metaworld.rl_env import MetaWorldStateEnv

    env, eval_env = MetaWorldStateEnv(task), MetaWorldStateEnv(task)
    model = SAC("MlpPolicy", env, seed=seed, verbose=0, device="cpu", **DEFAULTS["sac"])
    curve, t0 = [], time.perf_counter()
    rng = np.random.default_rng(seed)
    random = evaluate(eval_env, lambda o: rng.uniform(-1, 1, 4).astype(np.float32), EVAL_SEEDS)
    for done in range(eval_every, steps + 1, eval_every):
        model.learn(eval_every, reset_num_timesteps=False)
        e = evaluate(eval_env, lambda o: model.predict(o, deterministic=True)[0], range(9000 + done, 9000 + done
                                                                                          + eval_episodes))
        curve.append({"steps": done, "wall_s": round(time.perf_counter() - t0, 1), **e})
        log.info("%s %d steps: return %.1f, %d/%d successes (%.0f s)", task, done, e["mean_return"],
                 e["successes"], e["episodes"], curve[-1]["wall_s"])
    wall = time.perf_counter() - t0
    final = evaluate(eval_env, lambda o: model.predict(o, deterministic=True)[0], EVAL_SEEDS)
    OUT.mkdir(parents=True, exist_ok=True)
    model.save(OUT / f"{task}_sac.zip")
    env.close()
    eval_env.close()
    return {"task": task, "steps": steps, "wall_s": round(wall, 1), "steps_per_s": round(steps / wall, 1),
            "curve": curve, "final": final, "random": random}


def markdown(rows: list[dict]) -> str:
    lines = ["## Meta-World: stable-baselines3 SAC on state (sanity baseline)", "",
             "`plansight/MetaWorldState-v0` (sim/metaworld/rl_env.py), SAC with rl_algos.DEFAULTS['sac'], 200-step "
             "episodes, training variations from seeds ≥ 10⁶. Final: 20 fixed evaluation resets (seeds 5000–5019), "
             "deterministic policy; random: a uniform random policy on the same resets. Successes are Meta-World's "
             "own flag at any step, with 95 % Wilson intervals.", "",
             "| Task | Steps | Wall time | Final successes | Final mean return | Random successes | Random mean return | "
             "Learning curve (steps: return, successes) |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        f, z = r["final"], r["random"]
        curve = "; ".join(f"{c['steps'] // 1000}k: {c['mean_return']:.0f}, {c['successes']}/{c['episodes']}"
                          for c in r["curve"])
        lines.append(f"| {r['task']} | {r['steps']:,} | {r['wall_s'] / 60:.1f} min ({r['steps_per_s']} steps/s) | "
                     f"{f['successes']}/{f['episodes']} ({100 * f['wilson_95'][0]:.0f}–{100 * f['wilson_95'][1]:.0f} %)"
                     f" | {f['mean_return']} | {z['successes']}/{z['episodes']} | {z['mean_return']} | {curve} |")
    lines += ["", "Reproduce: `python -m bench.metaworld_sac`."]
    return "\n".join(lines)


def run(tasks: tuple[str, ...] = TASKS, steps: int = 20_000, eval_every: int = 5000, eval_episodes: int = 5) -> dict:
    rows = [train_task(t, steps, eval_every, eval_episodes) for t in tasks]
    figures = {"tasks": rows, "eval_seeds": list(EVAL_SEEDS)}
    record("metaworld_sac", figures, markdown(rows))
    return figures


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tasks", default=",".join(TASKS))
    ap.add_argument("--steps", type=int, default=20_000)
    ap.add_argument("--eval-every", type=int, default=5000)
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    figures = run(tuple(args.tasks.split(",")), args.steps, args.eval_every)
    print(json.dumps({r["task"]: r["final"] for r in figures["tasks"]}, indent=2))


if __name__ == "__main__":
    main()
