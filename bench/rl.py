"""RL bench: PPO on the drone's hover and waypoint tasks within 10 minutes of wall time each on 2 cores, the final
hover error and waypoint success over 20 held-out seeds, and the vectorised env's throughput.

    python -m bench.rl                         # train both (≈ 2 × 10 min), evaluate, throughput; to runs/bench/
    python -m bench.run --record --only rl     # the same, recorded (bench/results/rl.json, BENCHMARKS.md)

Seeds: training envs are seeded 0 and 1 (two processes); the evaluation during training uses seeds from 10⁶;
the reported figures use seeds 2000–2019, which nothing tunes on. Models go to ``runs/bench/rl/<task>``.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path

import numpy as np

from bench.common import ROOT, record, wilson

log = logging.getLogger(__name__)
REPORT_SEEDS = range(2000, 2020)
WALL_LIMIT_S = 600.0


def evaluate(model_dir: Path, task: str, seeds=REPORT_SEEDS) -> dict:
    """Deterministic episodes of the trained policy, one per seed: hover error over the last second (m) or
    waypoint success (within 0.25 m, under 0.5 m/s), crashes."""
    from plansight.agent.control.rl_policy import MODEL_FILE, load_model_config
    from plansight.agent.learning.rl_algos import ALGOS
    from plansight.sim.drone.rl import make_task_env

    meta = load_model_config(model_dir)
    model = ALGOS[meta["algo"]].load(model_dir / MODEL_FILE, device="cpu")
    env = make_task_env(task)
    errors, successes, crashes, returns, steps_to_goal = [], 0, 0, [], []
    for s in seeds:
        obs, _ = env.reset(seed=s)
        done, ret, tail, k = False, 0.0, [], 0
        while not done:
            action, _ = model.predict(obs, deterministic=True)
            obs, r, term, trunc, info = env.step(action)
            ret, k, done = ret + r, k + 1, term or trunc
            if task == "hover":
                tail.append(info["error_m"])
        returns.append(ret)
        crashes += bool(info["crashed"])
        if task == "hover":
            errors.append(float(np.mean(tail[-50:])))
        elif info["success"]:
            successes += 1
            steps_to_goal.append(k)
    env.close()
    n = len(returns)
    out = {"episodes": n, "seeds": f"{seeds[0]}-{seeds[-1]}", "crashes": crashes,
           "mean_return": round(float(np.mean(returns)), 2)}
    if task == "hover":
        out.update(hover_error_m_median=round(float(np.median(errors)), 3),
                   hover_error_m_max=round(float(np.max(errors)), 3))
    else:
        lo, hi = wilson(successes, n)
        out.update(successes=successes, success_ci95=[round(lo, 3), round(hi, 3)],
                   time_to_goal_s_median=round(float(np.median(steps_to_goal)) / 50, 2) if steps_to_goal else None)
    return out


def throughput(task: str = "hover", counts=(1, 2, 4), steps: int = 4000) -> dict:
    """Env steps per second (random actions, resets included) of the SB3 vector env at 1, 2 and 4 envs."""
    from plansight.launch.train_rl import make_vec

    out = {}
    for n in counts:
        venv = make_vec(task, n, seed=0)
        venv.reset()
        rng = np.random.default_rng(0)
        t = time.perf_counter()
        for _ in range(steps // n):
            venv.step(rng.uniform(-1, 1, (n, 4)).astype(np.float32))
        out[str(n)] = round(steps / (time.perf_counter() - t), 1)
        venv.close()
    return out


def run(hover_steps: int = 50_000, waypoint_steps: int = 150_000, out: Path | None = None) -> dict:
    from plansight.launch.train_rl import train_rl

    out = out or ROOT / "runs" / "bench" / "rl"
    figures: dict = {"algo": "ppo", "n_envs": 2, "training_seeds": [0, 1], "report_seeds": "2000-2019"}
    for task, steps in (("hover", hover_steps), ("waypoint", waypoint_steps)):
        folder = out / task
        summary = train_rl(task, "ppo", steps, folder, n_envs=2, seed=0, eval_every=10_000, eval_episodes=10)
        curve = json.loads((folder / "learning_curve.json").read_text())
        figures[task] = {"training": summary, "curve": curve, "evaluation": evaluate(folder, task),
                         "within_10_min": summary["wall_s"] <= WALL_LIMIT_S}
        log.info("%s: %s", task, figures[task]["evaluation"])
    figures["throughput_steps_per_s"] = throughput()
    record("rl", figures, markdown(figures))
    return figures


def markdown(f: dict) -> str:
    h, w = f["hover"], f["waypoint"]
    he, we = h["evaluation"], w["evaluation"]

    def curve(c: list[dict]) -> str:
        step = max(1, len(c) // 8)
        return ", ".join(f"{p['steps'] // 1000}k: {p['mean_return']:.0f}" for p in c[::step] + c[-1:])
    tp = f["throughput_steps_per_s"]
    return f"""## Reinforcement learning (stable-baselines3) on the drone tasks

PPO (settings in agent/learning/rl_algos.py), 2 env processes seeded 0 and 1, evaluation
during training on seeds from 10⁶, reported figures on 20 held-out seeds ({f['report_seeds']}), deterministic.

| task | steps | wall time | final eval return | reported (20 seeds) |
|---|---|---|---|---|
| hover (`plansight/DroneHover-v0`) | {h['training']['steps']:,} | {h['training']['wall_s'] / 60:.1f} min | {h['training']['final_eval_return']} | hover error over the last second: median {he['hover_error_m_median']} m, max {he['hover_error_m_max']} m; {he['crashes']} crashes |
| waypoint (`plansight/DroneWaypoint-v0`) | {w['training']['steps']:,} | {w['training']['wall_s'] / 60:.1f} min | {w['training']['final_eval_return']} | {we['successes']}/{we['episodes']} reached (95 % CI {we['success_ci95'][0]:.2f}–{we['success_ci95'][1]:.2f}), median {we['time_to_goal_s_median']} s; {we['crashes']} crashes |

Learning curves (evaluation return at steps): hover {curve(h['curve'])}; waypoint {curve(w['curve'])}.

Vector env throughput (hover, random actions, resets included, SB3 `SubprocVecEnv` above 1 env): 1 env
{tp['1']} steps/s, 2 envs {tp['2']}, 4 envs {tp['4']} (2 cores).

Reproduce: `python -m bench.rl` or `plansight train rl --env hover --algo ppo --steps {h['training']['steps']}`."""


def main() -> None:
    from bench import common

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--hover-steps", type=int, default=50_000)
    ap.add_argument("--waypoint-steps", type=int, default=150_000)
    ap.add_argument("--record", action="store_true")
    args = ap.parse_args()
    common.RECORD = args.record
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    figures = run(args.hover_steps, args.waypoint_steps)
    print(json.dumps({t: figures[t]["evaluation"] for t in ("hover", "waypoint")}, indent=2))


if __name__ == "__main__":
    main()
