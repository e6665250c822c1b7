"""Persistent self-supervised depth benchmark.

1. Mono network inference rate (batch 1, 128×96) and training throughput (samples/s), CPU.
2. Online learning while flying on stereo in training rooms (seeds 100…), ``minutes`` simulated
   minutes in total, one learner carried from room to room through its checkpoint.
3. ``eval-depth`` on held-out rooms 1000–1004: mono vs stereo AbsRel/RMSE/δ against ground truth.
4. 60 s flights in unseen rooms (seeds 0…) with strategies stereo / mono / persistent, all starting
   from the trained checkpoint and still learning: distance flown per collision.
"""

from __future__ import annotations

import logging
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from bench.common import RESULTS, ROOT, median_rate, record, timed
from plansight.agent.learning.online_depth import OnlineDepthLearner, predict_depth
from plansight.agent.perception.config_persistent import LearnerConfig, MonoNetConfig
from plansight.agent.perception.mono_net import MonoDepthNet, count_parameters
from plansight.launch.eval_depth import eval_depth
from plansight.launch.mission import load_mission
from plansight.launch.runner import fly

log = logging.getLogger(__name__)
MISSION = ROOT / "launch/missions/drone_room_persistent.yaml"


def inference_rate(frames: int = 300, net: MonoDepthNet | None = None) -> float:
    """Frames/s of ``net`` (default: a new default-shaped network), batch 1, at its own resolution (median of 5
    runs of ``frames``)."""
    net = (net or MonoDepthNet(MonoNetConfig())).eval()
    img = np.random.default_rng(0).integers(0, 255, (net.cfg.height, net.cfg.width, 3), dtype=np.uint8)
    with torch.inference_mode():
        for _ in range(20):
            predict_depth(net, img)
        rate, _ = median_rate(lambda: frames / timed(lambda: [predict_depth(net, img) for _ in range(frames)]), 5)
    return rate


def training_throughput(steps: int = 40) -> float:
    cfg = LearnerConfig(min_buffer=1, add_every=1, min_valid_fraction=0.0)
    learner = OnlineDepthLearner(MonoNetConfig(), cfg)
    rng = np.random.default_rng(0)
    for _ in range(64):
        learner.add(rng.integers(0, 255, (96, 128, 3), dtype=np.uint8), rng.uniform(0.5, 5, (96, 128)),
                    np.ones((96, 128), bool))
    learner.train_step()

    def rate() -> float:
        return steps * cfg.batch_size / timed(lambda: [learner.train_step() for _ in range(steps)])

    return median_rate(rate, 3)[0]


def _flight(seed: int, duration: float, perception: dict, runs: Path, video: bool = False) -> dict:
    m = load_mission(MISSION, {"seed": seed, "duration_s": duration, "name": f"ssl_bench_{seed}",
                               "perception": perception, "record": {"video": video, "dataset": False}})
    res = fly(m, runs)
    out = dict(res.metrics)
    out["run_dir"] = str(res.run_dir)
    return out


def online_learning(minutes: float, steps_per_second: float, runs: Path, ckpt: Path) -> list[dict]:
    per_room = 120.0
    rooms = max(1, round(minutes * 60 / per_room))
    out = []
    for i in range(rooms):
        perception = {"type": "persistent_ssl", "switch": {"strategy": "stereo"},
                      "learner": {"mode": "lockstep", "steps_per_second": steps_per_second},
                      "init_checkpoint": str(ckpt) if i else None}
        r = _flight(100 + i, per_room, perception, runs)
        Path(r["run_dir"], "depth.safetensors").replace(ckpt)
        out.append({k: r.get(k) for k in ("seed", "distance_flown_m", "collisions", "train_steps",
                                          "mono_depth_abs_rel", "stereo_depth_abs_rel", "final_loss")})
        log.info("training room %d: %s", 100 + i, out[-1])
    return out


def flights(seeds: range, ckpt: Path, runs: Path, seconds: float) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for strategy in ("stereo", "mono", "persistent"):
        out[strategy] = []
        for seed in seeds:
            perception = {"type": "persistent_ssl", "switch": {"strategy": strategy}, "init_checkpoint": str(ckpt),
                          "learner": {"mode": "lockstep", "steps_per_second": 5}}
            r = _flight(seed, seconds, perception, runs)
            out[strategy].append({k: r.get(k) for k in ("seed", "distance_flown_m", "collisions", "stereo_overrides",
                                                        "mono_flight_fraction", "mono_depth_abs_rel")})
            log.info("%s seed %d: %s", strategy, seed, out[strategy][-1])
    return out


def _per_collision(rows: list[dict]) -> tuple[float, int, float]:
    dist = sum(r["distance_flown_m"] for r in rows)
    hits = sum(r["collisions"] for r in rows)
    return dist, hits, dist / max(hits, 1)


def run(minutes: float = 10.0, steps_per_second: float = 10.0, n_flight_seeds: int = 5,
        flight_seconds: float = 60.0) -> dict:
    t0 = time.perf_counter()
    infer = inference_rate()
    train = training_throughput()
    ckpt = RESULTS / "persistent_ssl_depth.safetensors"
    with tempfile.TemporaryDirectory() as tmp:
        runs = Path(tmp)
        learning = online_learning(minutes, steps_per_second, runs, ckpt)
        ev = eval_depth(ckpt, list(range(1000, 1005)), seconds=20.0, every=10)
        fl = flights(range(n_flight_seeds), ckpt, runs, flight_seconds)
    stereo_d, stereo_h, stereo_pc = _per_collision(fl["stereo"])
    summary = {k: _per_collision(v) for k, v in fl.items()}
    figures = {
        "network_parameters": count_parameters(MonoDepthNet(MonoNetConfig())),
        "mono_inference_fps_batch1_median": round(infer, 1),
        "training_samples_per_s_median": round(train, 1),
        "online_learning_sim_minutes": minutes, "steps_per_sim_second": steps_per_second,
        "online_learning": learning, "eval_depth": ev, "flights": fl,
        "distance_per_collision_m": {k: round(v[2], 2) for k, v in summary.items()},
        "bench_wall_s": round(time.perf_counter() - t0, 1),
    }
    m, s = ev["mono"], ev["stereo"]
    mv = ev["mono_on_stereo_valid"]
    cov = {k: f"{ev[k]['coverage']:.0%}" for k in ("mono", "mono_on_stereo_valid", "stereo")}
    rows = "\n".join(
        f"| {k} | {v[0]:.1f} | {v[1]} | {v[0] / max(v[1], 1):.1f}{' (no collision)' if v[1] == 0 else ''} | "
        f"{(v[0] / max(v[1], 1)) / stereo_pc:.2f} | "
        f"{statistics.mean(r['stereo_overrides'] or 0 for r in fl[k]):.1f} |" for k, v in summary.items())
    md = f"""## Persistent self-supervised depth (stereo teaches mono online)

Mono network: {figures['network_parameters'] / 1e6:.2f} M parameters (U-Net, 5 stride-2 stages 16–96 channels,
Gaussian head on log depth). CPU, torch 2.13.0, 2 threads.

| Figure | Value | Target |
|---|---|---|
| Mono inference, batch 1, 128×96 (median of 5) | **{infer:.0f} frames/s** | ≥ 300 |
| Online training throughput, batch 16 (median of 3) | {train:.0f} samples/s | – |

Online learning: {minutes:g} simulated minutes flying on stereo in training rooms 100–{100 + len(learning) - 1}
({steps_per_second:g} optimiser steps per simulated second, batch 16, reservoir buffer of 3000) →
{learning[-1]['train_steps']} steps. Then `eval-depth` on held-out rooms 1000–1004 ({ev['frames']} frames, ground truth
0.25–8 m):

| Depth vs ground truth | AbsRel (mean of frames) | AbsRel (median frame) | RMSE (m) | δ<1.25 | Pixels scored |
|---|---|---|---|---|---|
| mono (all pixels) | {m['abs_rel']:.4f} | {m['abs_rel_median_frame']:.4f} | {m['rmse_m']:.3f} | {m['delta_1.25']:.3f} | {cov['mono']} |
| mono (stereo-valid pixels) | {mv['abs_rel']:.4f} | {mv['abs_rel_median_frame']:.4f} | {mv['rmse_m']:.3f} | {mv['delta_1.25']:.3f} | {cov['mono_on_stereo_valid']} |
| stereo SGBM | {s['abs_rel']:.4f} | {s['abs_rel_median_frame']:.4f} | {s['rmse_m']:.3f} | {s['delta_1.25']:.3f} | {cov['stereo']} |

Mono/stereo AbsRel ratio: **{ev['mono_to_stereo_abs_rel_ratio']:.2f}** (target ≤ 1.1).

Flights, {flight_seconds:g} s each, unseen rooms 0–{n_flight_seeds - 1}, all starting from that checkpoint and still learning:

| Strategy | Distance (m) | Collisions | Distance per collision (m) | vs stereo | Overrides per flight |
|---|---|---|---|---|---|
{rows}

Distance per collision counts a collision-free set as one collision (a lower bound)."""
    record("persistent_ssl", figures, md)
    return figures
