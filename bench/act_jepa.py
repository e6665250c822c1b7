"""ACT-JEPA against its ACT baseline on Meta-World (issue 20): task success, the world-model probe and speed.

Inputs (made by the commands in BENCHMARKS.md):
- ``data/mw_policy_96x72.hdf5``: ``plansight collect metaworld --tasks all --episodes 30 --res 96x72 --seed 10000
  --no-depth --no-masks``; demos of seeds 10000–10024 train, 10025–10029 are held out for the probe;
- ``runs/act_jepa``, ``runs/act``: ``plansight train jepa --seeds 10000-10024`` with ``--jepa-weight 1`` and ``0``;
- ``runs/eval_act_jepa``, ``runs/eval_act``: ``plansight eval metaworld --policy act_jepa`` on test seeds 0–24.

Figures:
- success per task (11 AVDC tasks × 3 cameras × seeds 0–24, Meta-World's flag + 10 steps within 500 steps), next
  to the video planners' and AVDC's BC baselines (reference: BC-Scratch 16.2 %, BC-R3M 15.4 %);
- world-model probe: a ridge regression, fitted on training-seed frames, decoding the task object's position
  ``k`` steps ahead (Meta-World state [4:7], metres) from frozen features, scored as RMSE on held-out-seed frames:
  ACT-JEPA's predicted future embedding, ACT-JEPA's context embedding, the ACT baseline's context embedding; with
  "object stays where it is" and "training mean" as floors;
- drone encoder probe (``drone_probe``): near-obstacle distance from one image, against mono depth and stereo;
- encoder frames/s at 128×96 and 96×72, batch 1, 2 threads (median of 5 repeats); chunk latency at 96×72, 1 thread.

    python -m bench.act_jepa --fly-drone-logs     # the drone encoder's flight logs (8 missions of 60 s)
    python -m bench.act_jepa
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path

import numpy as np

from bench.common import ROOT, record
from plansight.agent.shared.stats import rate_text, wilson

log = logging.getLogger(__name__)

DATA = ROOT / "data" / "mw_policy_96x72.hdf5"
TRAIN_SEEDS, PROBE_SEEDS = range(10000, 10025), range(10025, 10030)
MODELS = {"act_jepa": ROOT / "runs" / "act_jepa", "act": ROOT / "runs" / "act"}
EVALS = {"act_jepa": ROOT / "runs" / "eval_act_jepa", "act": ROOT / "runs" / "eval_act"}
BC_BASELINES = {"BC-Scratch (AVDC)": 16.2, "BC-R3M (AVDC)": 15.4}
# ACT-JEPA's 15 Meta-World v3 tasks (reference §2.3) that are also AVDC tasks, hence in our protocol
PAPER_TASKS_HERE = ("button-press", "button-press-topdown", "door-close", "door-open", "faucet-close", "faucet-open")


def encoder_fps(width: int, height: int, threads: int = 2, frames: int = 200, repeats: int = 5) -> float:
    """Median frames/s of the context encoder (``ActJepa.embed``) at batch 1."""
    import torch

    from plansight.agent.perception.jepa.act_jepa import ActJepa
    from plansight.agent.perception.jepa.config_jepa import ActJepaConfig

    prev = torch.get_num_threads()
    torch.set_num_threads(threads)
    model = ActJepa(ActJepaConfig(tasks=("t",), cameras=("c",), width=width, height=height, jepa_weight=0.0)).eval()
    x, p, i = torch.zeros(1, 3, height, width), torch.zeros(1, 7), torch.zeros(1, dtype=torch.long)
    rates = []
    with torch.no_grad():
        for _ in range(10):
            model.embed(x, p, i, i)
        for _ in range(repeats):
            t = time.perf_counter()
            for _ in range(frames):
                model.embed(x, p, i, i)
            rates.append(frames / (time.perf_counter() - t))
    torch.set_num_threads(prev)
    return float(np.median(rates))


def _features(model, ds, rows: np.ndarray, cams: np.ndarray, k: int, batch: int = 256) -> dict[str, np.ndarray]:
    """Frozen features of frames ``rows`` seen by cameras ``cams``: ``context`` (N, D) and, for ACT-JEPA,
    ``predicted`` (N, D), the predictor's embedding for offset ``k``."""
    import torch

    from plansight.agent.shared.frames import to_tensor

    out: dict[str, list[np.ndarray]] = {"context": [], "predicted": []}
    tasks = np.array([model.cfg.tasks.index(ds.tasks[t]) for t in ds.task_of_row[rows]])
    with torch.no_grad():
        for s in range(0, len(rows), batch):
            r, c = rows[s:s + batch], cams[s:s + batch]
            imgs = to_tensor(np.stack([ds.images[ds.cameras[ci]][ri] for ci, ri in zip(c, r, strict=True)]))
            prop = model.normalize_proprio(torch.from_numpy(ds.proprio[r]))
            cam_idx = torch.tensor([model.cfg.cameras.index(ds.cameras[ci]) for ci in c])
            ctx = model.encoder(imgs, prop, torch.from_numpy(tasks[s:s + batch]), cam_idx)
            out["context"].append(ctx.mean(1).numpy())
            if model.cfg.jepa:
                j = model.cfg.target_offsets.index(k)
                out["predicted"].append(model.predictor(ctx)[:, j].numpy())
    return {name: np.concatenate(v) for name, v in out.items() if v}


def _ridge(x_train, y_train, x_test, lam: float = 1.0) -> np.ndarray:
    mu, sd = x_train.mean(0), x_train.std(0) + 1e-6
    a, b = (x_train - mu) / sd, (x_test - mu) / sd
    a1, b1 = np.hstack([a, np.ones((len(a), 1))]), np.hstack([b, np.ones((len(b), 1))])
    w = np.linalg.solve(a1.T @ a1 + lam * np.eye(a1.shape[1]), a1.T @ y_train)
    return b1 @ w


def _rows(ds, n: int, rng) -> tuple[np.ndarray, np.ndarray]:
    rows = rng.choice(len(ds), size=min(n, len(ds)), replace=False)
    return rows, rng.integers(len(ds.cameras), size=len(rows))


def world_model_probe(k: int = 16, n_train: int = 6000, n_test: int = 3000, seed: int = 0) -> dict:
    """RMSE (cm) of the object position k steps ahead decoded from each model's frozen features (module docstring)."""
    from plansight.agent.learning.policy_data import PolicyDataset
    from plansight.agent.learning.train_jepa import load_model

    train = PolicyDataset([DATA], seeds=set(TRAIN_SEEDS))
    test = PolicyDataset([DATA], seeds=set(PROBE_SEEDS))
    rng = np.random.default_rng(seed)
    (tr, tc), (te, tec) = _rows(train, n_train, rng), _rows(test, n_test, rng)

    def target(ds, rows):
        return ds.states[np.minimum(rows + k, ds.last_row[rows]), 4:7].astype(np.float64)

    y_tr, y_te = target(train, tr), target(test, te)

    def rmse_cm(pred):
        return round(float(np.sqrt(np.mean(np.sum((pred - y_te) ** 2, axis=1)))) * 100, 2)

    # a bootstrap over held-out episodes (frames of one episode are not independent): 95 % intervals
    episode = np.searchsorted([d.start for d in test.demos], te, side="right") - 1
    boot = rng.integers(len(test.demos), size=(1000, len(test.demos)))
    weights = np.stack([np.bincount(b, minlength=len(test.demos)) for b in boot])[:, episode]  # (1000, frames)

    def interval_cm(sq):
        r = np.sqrt((weights * sq).sum(1) / weights.sum(1)) * 100
        return [round(float(np.percentile(r, 2.5)), 2), round(float(np.percentile(r, 97.5)), 2)]

    sq_errors = {}

    res = {"k_steps": k, "train_frames": len(tr), "test_frames": len(te), "train_seeds": [10000, 10024],
           "test_seeds": [10025, 10029],
           "floors_cm": {"object stays where it is": rmse_cm(test.states[te, 4:7]),
                         "training mean": rmse_cm(np.broadcast_to(y_tr.mean(0), y_te.shape))}, "probes_cm": {}}
    for name, path in MODELS.items():
        if not (path / "model.safetensors").is_file():
            log.warning("world-model probe: no %s model in %s", name, path)
            continue
        model = load_model(path)
        f_tr, f_te = _features(model, train, tr, tc, k), _features(model, test, te, tec, k)
        for kind in f_tr:
            pred = _ridge(f_tr[kind], y_tr, f_te[kind])
            label = f"{name} {kind} embedding"
            res["probes_cm"][label] = rmse_cm(pred)
            sq_errors[label] = np.sum((pred - y_te) ** 2, axis=1)
    res["intervals_cm"] = {k: interval_cm(v) for k, v in sq_errors.items()}
    a, b = "act_jepa context embedding", "act context embedding"
    if a in sq_errors and b in sq_errors:  # paired: the same resampled episodes for both
        ra = np.sqrt((weights * sq_errors[a]).sum(1) / weights.sum(1))
        rb = np.sqrt((weights * sq_errors[b]).sum(1) / weights.sum(1))
        gain = 100 * (1 - ra / rb)
        res["jepa_gain_percent"] = {"estimate": round(100 * (1 - res["probes_cm"][a] / res["probes_cm"][b]), 1),
                                    "interval_95": [round(float(np.percentile(gain, 2.5)), 1),
                                                    round(float(np.percentile(gain, 97.5)), 1)]}
    res["test_episodes"] = len(test.demos)
    return res


DRONE_LOGS = ROOT / "runs" / "drone_logs"
DRONE_MODEL = ROOT / "runs" / "jepa_drone"
DRONE_MISSIONS = {"default": "launch/missions/drone_room_stereo.yaml", "dense": "launch/missions/drone_room_dense.yaml"}
DRONE_TRAIN_ROOMS, DRONE_PROBE_ROOMS = (200, 201, 202), (300,)


def drone_logs(rooms: tuple[int, ...]) -> list[Path]:
    """The flight logs of ``rooms`` on both levels (made by ``fly_drone_logs``)."""
    return [DRONE_LOGS / f"{level}_{r}" / "flight.h5" for level in DRONE_MISSIONS for r in rooms]


def fly_drone_logs() -> None:
    """Fly the avoidance missions whose flight logs train and probe the drone encoder (60 s each, 10 Hz logs)."""
    import shutil
    import subprocess
    import sys

    for level, mission in DRONE_MISSIONS.items():
        for room in DRONE_TRAIN_ROOMS + DRONE_PROBE_ROOMS:
            dest = DRONE_LOGS / f"{level}_{room}"
            if (dest / "flight.h5").is_file():
                continue
            tmp = DRONE_LOGS / "tmp"
            shutil.rmtree(tmp, ignore_errors=True)
            subprocess.run([sys.executable, "-m", "plansight.launch.cli", "fly", str(ROOT / mission), "--seed",
                            str(room), "--quiet", "--runs-dir", str(tmp), "--set", "record.dataset=true", "--set",
                            "record.dataset_every=5", "--set", "record.video=false"], check=True)
            run = next(p for p in tmp.iterdir() if p.is_dir())
            dest.parent.mkdir(parents=True, exist_ok=True)
            run.rename(dest)


def drone_probe() -> dict | None:
    """Near-obstacle distance (the 5th percentile of ground-truth depth over the central third of the image) from one
    camera image: a ridge probe on the frozen drone encoder (fitted on training rooms, log-distance), next to the
    mono depth network's and SGBM stereo's own estimate of the same quantity; on the probe rooms' frames."""
    if not (DRONE_MODEL / "model.safetensors").is_file() or not all(p.is_file() for p in drone_logs(
            DRONE_PROBE_ROOMS)):
        log.warning("drone probe: no encoder in %s or no probe-room logs in %s", DRONE_MODEL, DRONE_LOGS)
        return None
    import h5py
    import torch

    from plansight.agent.learning.flight_data import FlightPolicyDataset, near_distance
    from plansight.agent.learning.online_depth import predict_depth
    from plansight.agent.learning.train_jepa import load_model
    from plansight.agent.perception.mono_net import load_mono_net
    from plansight.agent.shared.builtin import resolve_model
    from plansight.agent.shared.frames import to_tensor

    train, test = FlightPolicyDataset(drone_logs(DRONE_TRAIN_ROOMS)), FlightPolicyDataset(drone_logs(DRONE_PROBE_ROOMS))
    model = load_model(DRONE_MODEL)

    def feats(ds) -> np.ndarray:
        out = []
        with torch.no_grad():
            for s in range(0, len(ds), 256):
                r = np.arange(s, min(s + 256, len(ds)))
                zeros = torch.zeros(len(r), dtype=torch.long)
                out.append(model.embed(to_tensor(ds.images["left"][r]),
                                       model.normalize_proprio(torch.from_numpy(ds.proprio[r])), zeros, zeros).numpy())
        return np.concatenate(out)

    ok_tr, ok_te = np.isfinite(train.near_m), np.isfinite(test.near_m)
    pred = np.exp(_ridge(feats(train)[ok_tr], np.log(train.near_m[ok_tr]), feats(test)[ok_te]))
    truth = test.near_m[ok_te]
    net, _ = load_mono_net(resolve_model("builtin:mono_depth_room"))
    with torch.no_grad():
        mono = np.array([near_distance(predict_depth(net, im)[0]) for im in test.images["left"][ok_te]])
    stereo = []
    for p in drone_logs(DRONE_PROBE_ROOMS):
        with h5py.File(p, "r") as f:
            d = f["stereo_depth"][()]
            stereo.append(near_distance(np.where(f["stereo_valid"][()], d, 0.0)))
    stereo = np.concatenate(stereo)[ok_te]

    def score(est) -> dict:
        est = np.asarray(est, np.float64)
        fine = np.isfinite(est)
        rel = np.abs(est[fine] - truth[fine]) / truth[fine]
        return {"abs_rel_mean": round(float(rel.mean()), 3), "abs_rel_median": round(float(np.median(rel)), 3),
                "rmse_m": round(float(np.sqrt(np.mean((est[fine] - truth[fine]) ** 2))), 3),
                "frames": int(fine.sum())}

    return {"train_rooms": list(DRONE_TRAIN_ROOMS), "probe_rooms": list(DRONE_PROBE_ROOMS),
            "levels": list(DRONE_MISSIONS), "train_frames": int(ok_tr.sum()), "test_frames": int(ok_te.sum()),
            "truth_median_m": round(float(np.median(truth)), 3),
            "estimates": {"encoder probe (ridge, frozen drone JEPA)": score(pred), "mono depth network": score(mono),
                          "SGBM stereo": score(stereo),
                          "floor: training median": score(np.full_like(truth, np.median(train.near_m[ok_tr])))}}


def chunk_latency_ms(repeats: int = 200) -> float | None:
    """Median ms of one chunk prediction (``ActChunkPolicy.predict_chunk``) with the trained ACT-JEPA, 1 thread."""
    path = MODELS["act_jepa"]
    if not (path / "model.safetensors").is_file():
        return None
    from plansight.agent.contracts import Observation
    from plansight.agent.control.act_policy import ActChunkPolicy
    from plansight.agent.control.config_act import ActPolicyConfig

    pol = ActChunkPolicy(ActPolicyConfig(checkpoint=str(path)))
    m = pol.model.cfg
    image = np.zeros((m.height, m.width, 3), np.uint8)
    pol.reset(Observation(t=0.0, images={m.cameras[0]: image}, state=np.zeros(39)), m.tasks[0], m.cameras[0])
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        pol.predict_chunk(image, np.zeros(39))
        times.append(time.perf_counter() - t)
    return round(1000 * float(np.median(times)), 2)


def success_tables() -> dict:
    """Each evaluated policy's summary (runs/eval_*): per-task counts, overall counts, protocol completeness."""
    out = {}
    for name, path in EVALS.items():
        f = path / "summary.json"
        if not f.is_file():
            log.warning("success: no evaluation in %s", path)
            continue
        s = json.loads(f.read_text())
        st = s["settings"]["replans_0"]
        n, ok = st["episodes"], st["successes"]
        lo, hi = wilson(ok, n)
        out[name] = {"command": s["command"], "seeds": [min(s["seeds"]), max(s["seeds"])], "episodes": n,
                     "successes": ok, "overall": st["overall"], "wilson_95": [round(lo, 3), round(hi, 3)],
                     "per_task_counts": st["per_task_counts"], "complete": st["protocol_complete"],
                     "seconds_per_episode": round(st["seconds_per_episode"], 2),
                     "train": json.loads((MODELS[name] / "config.json").read_text()) if (
                         MODELS[name] / "config.json").is_file() else None}
    return out


PAPER_MODEL, PAPER_EVAL = ROOT / "runs" / "act_jepa15", ROOT / "runs" / "eval_act_jepa15"


def paper_protocol() -> dict | None:
    """ACT-JEPA on its paper's 15 Meta-World v3 tasks (runs/eval_act_jepa15): per-task counts and the overall."""
    f = PAPER_EVAL / "summary.json"
    if not f.is_file():
        log.warning("paper protocol: no evaluation in %s", PAPER_EVAL)
        return None
    s = json.loads(f.read_text())
    st = s["settings"]["replans_0"]
    train = json.loads((PAPER_MODEL / "config.json").read_text()) if (PAPER_MODEL / "config.json").is_file() else None
    return {"command": s["command"], "seeds": [min(s["seeds"]), max(s["seeds"])], "cameras": s["cameras"],
            "max_steps": s.get("max_steps", 500), "episodes": st["episodes"], "successes": st["successes"],
            "per_task_counts": st["per_task_counts"], "train": train}


def _video_planner() -> dict | None:
    """The recorded video planner's overall success (bench/results/video_planner.json), for comparison."""
    from bench.readme_table import _successes

    path = ROOT / "bench" / "results" / "video_planner.json"
    if not path.is_file():
        return None
    doc = json.loads(path.read_text())
    st = doc["figures"]["success"]["settings"]
    return {"date": doc["date"][:10], **{k: rate_text(*_successes(st[k])) for k in ("replans_0", "replans_5")}}


def plot_success(succ: dict, path: Path) -> None:
    """Per-task success of each evaluated policy, with 95 % Wilson intervals, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tasks = sorted(next(iter(succ.values()))["per_task_counts"])
    fig, ax = plt.subplots(figsize=(10, 3.6), dpi=110)
    width = 0.8 / len(succ)
    for j, (name, v) in enumerate(succ.items()):
        counts = [v["per_task_counts"].get(t, [0, 0]) for t in tasks]
        rate = np.array([100 * k / n if n else 0.0 for k, n in counts])
        ci = np.array([wilson(k, n) for k, n in counts]) * 100
        x = np.arange(len(tasks)) + (j - (len(succ) - 1) / 2) * width
        ax.bar(x, rate, width, label=f"{name} ({rate_text(v['successes'], v['episodes']).split(' (')[0]})",
               yerr=[rate - ci[:, 0], ci[:, 1] - rate], capsize=2)
    ax.set_xticks(np.arange(len(tasks)), tasks, rotation=30, ha="right", fontsize=8)
    ax.set_ylabel("success (%)")
    ax.set_ylim(0, 105)
    ax.legend(fontsize=8)
    ax.set_title("Meta-World test seeds 0–24, 3 cameras per task, 96×72")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)


def markdown(f: dict) -> str:
    lines = ["## ACT-JEPA and the ACT baseline on Meta-World (arm policies, no video plan)", ""]
    succ = f["success"]
    if succ:
        any_train = next((v["train"] for v in succ.values() if v["train"]), None)
        if any_train:
            c = any_train["config"]
            per = sorted(set(any_train["demos_per_task"].values()))
            lines += [f"Trained from scripted-expert demos: {'–'.join(map(str, (per[0], per[-1])))} per task (seeds "
                      f"{any_train['seeds'][0]}–{any_train['seeds'][1]}), each seen by the 3 cameras, at "
                      f"{c['width']}×{c['height']}; {c['steps']} steps of batch {c['batch_size']}, chunk {c['chunk']}, "
                      f"JEPA targets {c['target_offsets']} steps ahead; {any_train['parameters']:,} parameters "
                      f"(without the EMA target). ACT = the same network and data, jepa_weight 0. Executed with "
                      "ACT's temporal ensemble (m = 0.01), re-queried every 4 steps (fixed in advance for cost, "
                      "not tuned; 4 chunks overlap at each step).", "",
                      "Data and training (about 21 min and 12 / 8 min side by side on the 2 cores): "
                      "`plansight collect metaworld --tasks all --episodes 30 --res 96x72 --seed 10000 --workers 2 "
                      "--no-depth --no-masks --out data/mw_policy_96x72.hdf5`, then `plansight train jepa --data "
                      "data/mw_policy_96x72.hdf5 --seeds 10000-10024 --config launch/configs/act_jepa_mw.yaml "
                      "--threads 1 --out runs/act_jepa` (and `--jepa-weight 0 --out runs/act`). The trained models "
                      "ship as `builtin:act_jepa_mw_96x72` and `builtin:act_mw_96x72`.", ""]
        tasks = sorted(next(iter(succ.values()))["per_task_counts"])
        names = list(succ)
        lines += ["| Task | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
        for t in tasks:
            lines.append(f"| {t} | " + " | ".join(rate_text(*succ[n]["per_task_counts"][t]) if t in succ[n][
                "per_task_counts"] else "–" for n in names) + " |")
        lines.append("| **Overall** | " + " | ".join(
            f"**{rate_text(succ[n]['successes'], succ[n]['episodes'])}**"
            + ("" if succ[n]["complete"] else " (partial)") for n in names) + " |")
        paper = [t for t in PAPER_TASKS_HERE if t in tasks]
        if paper:
            row = []
            for n in names:
                ok = sum(succ[n]["per_task_counts"][t][0] for t in paper)
                tot = sum(succ[n]["per_task_counts"][t][1] for t in paper)
                row.append(rate_text(ok, tot))
            lines.append(f"| ACT-JEPA paper's tasks here ({', '.join(paper)}) | " + " | ".join(row) + " |")
        vp = _video_planner()
        lines += ["", "Next to, on the same protocol: " + (
            f"our video planner + flow executor {vp['replans_0']} without and {vp['replans_5']} with 5 replans "
            f"(bench/results/video_planner.json, {vp['date']}); " if vp else "")
            + "AVDC 19.6 % / 43.1 % (0 / 5 replans)."]
        lines += ["", "Test seeds " + ", ".join(f"{n}: {v['seeds'][0]}–{v['seeds'][1]}" for n, v in succ.items())
                  + "; 11 tasks × 3 cameras; Meta-World's success flag, then 10 steps, within 500 steps. "
                  "Reference points: " + ", ".join(f"{k} {v} %" for k, v in BC_BASELINES.items())
                  + " (AVDC's table, 15,216 labelled pairs); ACT-JEPA's paper reports 92 % on its 15 Meta-World v3 "
                  "tasks (secondary source; 40 demos per task, 128 px, 200-step episodes, a pretrained ResNet-18).",
                  "", "Commands: " + "; ".join(f"`{v['command']}`" for v in succ.values()), ""]
    pp = f.get("paper_protocol")
    if pp:
        t = pp["train"] or {"demos_per_task": {"?": 0}, "seeds": ["?", "?"]}
        per = sorted(set(t["demos_per_task"].values()))
        demos = f"{per[0]}–{per[-1]}" if len(per) > 1 else f"{per[0]}"
        lines += [f"ACT-JEPA on its paper's 15 Meta-World v3 tasks, as close to its protocol as we go: "
                  f"{pp['max_steps']}-step episodes, seeds {pp['seeds'][0]}–{pp['seeds'][1]} × cameras "
                  f"{', '.join(pp['cameras'])} per task ({pp['episodes'] // 15} episodes per task; the paper: 20), "
                  f"one model trained on {demos} demos per task (seeds {t['seeds'][0]}–{t['seeds'][1]}; the paper: "
                  "40) at 96×72 (the paper: 128 px, a pretrained ResNet-18), from scratch:", "",
                  "| Task | ACT-JEPA |", "|---|---|"]
        lines += [f"| {k} | {rate_text(*v)} |" for k, v in sorted(pp["per_task_counts"].items())]
        lines += [f"| **Overall** | **{rate_text(pp['successes'], pp['episodes'])}** (the paper, secondary source: "
                  "92 %) |", "", f"Command: `{pp['command']}`", ""]
    p = f["probe"]
    if p and p["probes_cm"]:
        lines += [f"World-model probe: object position {p['k_steps']} steps ahead, ridge regression on frozen "
                  f"features fitted on {p['train_frames']} training-seed frames, RMSE on {p['test_frames']} frames of "
                  f"held-out seeds {p['test_seeds'][0]}–{p['test_seeds'][1]}:", "",
                  "| Features | RMSE (cm) |", "|---|---|"]
        lines[-2] = "| Features | RMSE (cm) | 95 % interval (bootstrap over held-out episodes) |"
        lines[-1] = "|---|---|---|"
        lines += [f"| {k} | {v} | {p['intervals_cm'][k][0]}–{p['intervals_cm'][k][1]} |" for k, v in
                  p["probes_cm"].items()]
        lines += [f"| floor: {k} | {v} | |" for k, v in p["floors_cm"].items()]
        g = p.get("jepa_gain_percent")
        if g:
            lines += ["", f"ACT-JEPA's context embedding against ACT's: {g['estimate']} % lower RMSE (paired bootstrap "
                      f"95 %: {g['interval_95'][0]} to {g['interval_95'][1]} %); the paper reports up to 40 %."]
        lines.append("")
    d = f.get("drone_probe")
    if d:
        lines += [f"Drone encoder probe: near-obstacle distance (5th percentile of true depth over the image's central "
                  f"third; median {d['truth_median_m']} m) from one left-camera image, on {d['test_frames']} frames of "
                  f"probe rooms {d['probe_rooms']} (levels {', '.join(d['levels'])}); the probe is fitted on "
                  f"{d['train_frames']} frames of rooms {d['train_rooms']}. The encoder is ACT-JEPA trained "
                  "self-supervised on those rooms' flight logs (10 Hz, avoidance missions on both levels, "
                  "`launch/configs/jepa_drone.yaml`, 1500 steps); the probe reads its frozen 128-d embedding:", "",
                  "| Estimate | AbsRel mean | AbsRel median | RMSE (m) |", "|---|---|---|---|"]
        lines += [f"| {k} | {v['abs_rel_mean']} | {v['abs_rel_median']} | {v['rmse_m']} |"
                  for k, v in d["estimates"].items()]
        lines.append("")
    s = f["speed"]
    lines += [f"Speed: context encoder {s['encoder_fps_128x96']:.0f} frames/s at 128×96 and "
              f"{s['encoder_fps_96x72']:.0f} at 96×72 (batch 1, 2 threads, median of 5)"
              + (f"; one chunk prediction {s['chunk_ms_96x72']} ms (1 thread)" if s["chunk_ms_96x72"] else "") + ".",
              "", "![per-task success](docs/img/act_jepa_success.png)", "",
              "Reproduce: `python -m bench.act_jepa` (after the commands above)."]
    return "\n".join(lines)


def run() -> dict:
    figures = {"success": success_tables(),
               "probe": world_model_probe() if DATA.is_file() else None,
               "drone_probe": drone_probe(),
               "paper_protocol": paper_protocol(),
               "speed": {"encoder_fps_128x96": round(encoder_fps(128, 96), 1),
                         "encoder_fps_96x72": round(encoder_fps(96, 72), 1),
                         "chunk_ms_96x72": chunk_latency_ms()}}
    if not figures["success"]:  # a fresh clone: nothing evaluated yet, keep the recorded section
        log.warning("act_jepa: no evaluation in %s; not recorded (see the module docstring)",
                    ", ".join(map(str, EVALS.values())))
        return figures
    plot_success(figures["success"], ROOT / "docs" / "img" / "act_jepa_success.png")
    record("act_jepa", figures, markdown(figures))
    return figures


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fly-drone-logs", action="store_true",
                    help="only fly the drone missions whose flight logs train and probe the drone encoder")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    if args.fly_drone_logs:
        fly_drone_logs()
        return
    figures = run()
    print(json.dumps({"speed": figures["speed"], "probe": figures["probe"]}, indent=2))


if __name__ == "__main__":
    main()
