"""ACT-JEPA and its ACT baseline: batches from expert files, the losses, the EMA target, resumable training, and the
chunking policy's temporal ensemble (tiny synthetic data: no Meta-World needed except where an arm runs)."""

from __future__ import annotations

import json

import h5py
import numpy as np
import pytest
import torch

from plansight.agent.contracts import Observation
from plansight.agent.control.act_policy import ActChunkPolicy
from plansight.agent.control.config_act import ActPolicyConfig
from plansight.agent.learning.policy_data import PolicyDataset, proprio_from_state
from plansight.agent.learning.train_jepa import load_model, train_jepa
from plansight.agent.perception.jepa.act_jepa import ActJepa
from plansight.agent.perception.jepa.config_jepa import ActJepaConfig

W, H = 32, 24
TINY = {"width": W, "height": H, "d_model": 32, "heads": 2, "layers": 1, "ffn": 64, "predictor_dim": 16,
        "predictor_layers": 1, "chunk": 4, "target_offsets": (2, 4), "batch_size": 16, "shift_px": 1}


def _write(path, demos):
    """A file in ``sim/metaworld/dataset.py``'s layout: (task, length, success) per demo; each demo's images are a
    flat grey whose brightness says the action (a learnable signal), its states carry a hand position."""
    with h5py.File(path, "w") as f:
        d = f.create_group("data")
        d.attrs["env_args"] = json.dumps({"cameras": ["corner", "corner3"], "width": W, "height": H})
        for i, (task, n, ok) in enumerate(demos):
            g = d.create_group(f"demo_{i}")
            g.attrs.update(task=task, seed=i, success=ok, success_step=n if ok else -1, num_samples=n)
            level = np.linspace(-1, 1, n, dtype=np.float32)
            g["actions"] = np.stack([level, -level, 0 * level, np.sign(level)], 1)
            state = np.zeros((n, 39))
            state[:, 0] = np.arange(n) * 0.01 + i
            state[:, 18] = state[:, 0] - 0.01
            g["obs/state"] = state
            img = np.repeat(((level + 1) * 120).astype(np.uint8)[:, None, None, None], 3, axis=3)
            for cam in ("corner", "corner3"):
                g[f"obs/{cam}_image"] = np.broadcast_to(img, (n, H, W, 3)).copy()


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    path = tmp_path_factory.mktemp("act") / "demos.hdf5"
    _write(path, [("button-press", 20, True), ("button-press", 12, True), ("door-open", 15, True),
                  ("door-open", 30, False)])
    return path


def test_dataset_keeps_successful_demos_and_pads_chunks(data):
    ds = PolicyDataset([data])
    assert ds.counts() == {"button-press": 2, "door-open": 1} and len(ds) == 20 + 12 + 15
    assert ds.cameras == ("corner", "corner3") and (ds.width, ds.height) == (W, H)
    b = ds.sample(np.random.default_rng(0), 256, 4, (2, 50))
    assert b["images"].shape == (256, H, W, 3) and b["future_images"].shape == (256, 2, H, W, 3)
    assert b["actions"].shape == (256, 4, 4) and b["valid"].shape == (256, 4)
    # balanced: door-open has one short demo but is drawn about as often as button-press
    assert 0.35 < np.mean(b["task"] == ds.tasks.index("door-open")) < 0.65
    # a chunk that runs past its demo's end repeats the last action, flagged invalid; offsets clamp to the end
    last_step = b["valid"].sum(1) < 4
    assert last_step.any()
    for i in np.flatnonzero(last_step):
        k = b["valid"][i].sum()
        assert np.all(b["actions"][i, k:] == b["actions"][i, k - 1])
    assert np.allclose(b["future_proprio"][:, 1], b["future_proprio"][:, 1])  # offset 50 is clamped, not an error


def test_proprio_has_no_object_state():
    s = np.random.default_rng(1).normal(size=(39,))
    t = s.copy()
    t[4:18] += 5.0  # object poses
    t[36:39] += 5.0  # goal
    assert np.array_equal(proprio_from_state(s), proprio_from_state(t))
    assert np.allclose(proprio_from_state(s)[4:7], s[0:3] - s[18:21])


def test_act_baseline_has_no_jepa_parts_and_targets_take_no_gradient(data):
    ds = PolicyDataset([data])
    act = ActJepa(ActJepaConfig(**TINY, tasks=ds.tasks, cameras=ds.cameras, jepa_weight=0.0))
    assert not hasattr(act, "target") and not hasattr(act, "predictor")
    jepa = ActJepa(ActJepaConfig(**TINY, tasks=ds.tasks, cameras=ds.cameras))
    from plansight.agent.learning.train_jepa import batch_tensors

    batch = batch_tensors(jepa, ds.sample(np.random.default_rng(0), 8, 4, (2, 4)), torch.Generator())
    losses = jepa.losses(batch)
    assert losses["latent"] > 0 and torch.isclose(losses["total"], losses["action"] + losses["latent"])
    losses["total"].backward()
    assert all(p.grad is None for p in jepa.target.parameters())
    assert jepa.encoder.image.net[0].weight.grad is not None and jepa.predictor.queries.grad is not None
    assert act.losses(batch)["latent"] == 0
    before = [p.clone() for p in jepa.target.parameters()]
    with torch.no_grad():
        for p in jepa.encoder.parameters():
            p.add_(1.0)
    jepa.ema_update(0.75)
    for b, t, s in zip(before, jepa.target.parameters(), jepa.encoder.parameters(), strict=True):
        assert torch.allclose(t, 0.75 * b + 0.25 * s)
    assert jepa.ema_momentum(0) == pytest.approx(0.996) and jepa.ema_momentum(jepa.cfg.steps) == pytest.approx(1.0)


def test_training_learns_and_resumes_to_the_same_weights(data, tmp_path):
    cfg = ActJepaConfig(**TINY, steps=60, lr=3e-3)
    whole = train_jepa([data], tmp_path / "whole", cfg)
    log = [json.loads(line) for line in (tmp_path / "whole" / "log.jsonl").read_text().splitlines()]
    assert log[-1]["action"] < 0.6 * log[0]["action"]  # the brightness says the action: it must be learned
    assert (tmp_path / "whole" / "tb").is_dir() and (tmp_path / "whole" / "config.json").is_file()
    assert whole["demos_per_task"] == {"button-press": 2, "door-open": 1}
    class KilledError(Exception):
        pass

    def kill_at_30(step, losses):
        if step == 30:
            raise KilledError

    with pytest.raises(KilledError):  # an interrupted run: its last checkpoint is at step 30
        train_jepa([data], tmp_path / "split", cfg, checkpoint_every=10, on_step=kill_at_30)
    assert not (tmp_path / "split" / "model.safetensors").exists()
    with pytest.raises(ValueError, match="--resume"):
        train_jepa([data], tmp_path / "split", cfg)
    resumed = train_jepa([data], tmp_path / "split", cfg, resume=True)
    assert resumed["resumed_from"] == 30
    a, b = load_model(tmp_path / "whole"), load_model(tmp_path / "split")
    for (name, p), q in zip(a.state_dict().items(), b.state_dict().values(), strict=True):
        assert torch.allclose(p, q, atol=1e-5), name
    with pytest.raises(ValueError, match="another config"):
        train_jepa([data], tmp_path / "split", cfg.model_copy(update={"chunk": 5}), resume=True)


def test_foreign_files_give_one_line_errors(tmp_path, data):
    bad = tmp_path / "x.hdf5"
    bad.write_text("not hdf5")
    with pytest.raises(ValueError, match="not a readable HDF5"):
        PolicyDataset([bad])
    with pytest.raises(ValueError, match="no camera 'corner2'"):
        PolicyDataset([data], cameras=["corner2"])
    with pytest.raises(ValueError, match="not a readable safetensors|not found"):
        load_model(bad)


@pytest.fixture(scope="module")
def checkpoint(data, tmp_path_factory):
    out = tmp_path_factory.mktemp("ckpt")
    train_jepa([data], out, ActJepaConfig(**TINY, steps=5))
    return out


def test_temporal_ensemble_weights_oldest_most(checkpoint, monkeypatch):
    pol = ActChunkPolicy(ActPolicyConfig(checkpoint=str(checkpoint), ensemble_m=0.5))
    chunks = iter([np.full((4, 4), v) * 0.1 for v in range(1, 20)])
    monkeypatch.setattr(pol, "predict_chunk", lambda image, state: next(chunks))
    obs = Observation(t=0.0, images={"corner": np.zeros((H, W, 3), np.uint8)}, state=np.zeros(39))
    pol.reset(obs, "door-open", "corner")
    got = [pol.act(obs).dxyz[0] / 0.01 for _ in range(3)]
    w = np.exp(-0.5 * np.arange(3))
    assert got[0] == pytest.approx(0.1)
    assert got[1] == pytest.approx((w[:2] * [0.1, 0.2]).sum() / w[:2].sum())
    assert got[2] == pytest.approx((w * [0.1, 0.2, 0.3]).sum() / w.sum())
    with pytest.raises(ValueError, match="not trained on task 'assembly'"):
        pol.reset(obs, "assembly", "corner")


def test_query_every_serves_steps_from_the_stored_chunk(checkpoint, monkeypatch):
    pol = ActChunkPolicy(ActPolicyConfig(checkpoint=str(checkpoint), query_every=2, ensemble_m=None))
    assert pol.image_every == 2
    chunks = iter([np.arange(16, dtype=float).reshape(4, 4) / 20 + k for k in (0, 0.5)])
    monkeypatch.setattr(pol, "predict_chunk", lambda image, state: next(chunks))
    seen = Observation(t=0.0, images={"corner": np.zeros((H, W, 3), np.uint8)}, state=np.zeros(39))
    blind = Observation(t=0.0, images={}, state=np.zeros(39))
    pol.reset(seen, "button-press", "corner")
    a0, a1, a2 = pol.act(seen), pol.act(blind), pol.act(seen)
    assert a0.gripper == pytest.approx(3 / 20) and a1.gripper == pytest.approx(7 / 20)  # rows 0 and 1 of chunk 1
    assert a2.gripper == pytest.approx(3 / 20 + 0.5)  # the newest chunk's first row


def test_policy_runs_an_arm_episode_rendering_every_nth_step(checkpoint, monkeypatch):
    """Through the runner: the registered policy drives a real Meta-World arm; the camera is rendered only on
    query steps."""
    from plansight.launch.arm_runner import ArmEpisode, ArmParts, run_arm_episode
    from plansight.sim.metaworld.arm_sim import MetaWorldArm
    from plansight.sim.metaworld.config_metaworld import make_config

    arm = MetaWorldArm(make_config(task="button-press", cameras=("corner",), width=64, height=48, max_steps=12))
    renders = []
    real = arm.observe
    monkeypatch.setattr(arm, "observe", lambda cams=None, **kw: renders.append(tuple(cams or ())) or real(cams, **kw))
    try:
        out = run_arm_episode(arm, ArmEpisode("button-press", "corner", 0, 0),
                              ArmParts(arm_policy=ActPolicyConfig(checkpoint=str(checkpoint), query_every=3)))
    finally:
        arm.close()
    assert out.error is None and out.steps == 12
    assert sum(bool(c) for c in renders) == 1 + 4  # reset, then steps 0, 3, 6, 9


def test_eval_metaworld_policy_errors_are_one_line(checkpoint, tmp_path):
    from typer.testing import CliRunner

    from plansight.launch.cli import app

    def run(*args):
        res = CliRunner().invoke(app, ["eval", "metaworld", *args, "--out", str(tmp_path / "ev")])
        return res.exit_code, res.output.strip()

    code, out = run("--policy", "nope")
    assert code != 0 and "unknown arm policy 'nope'" in out and len(out.splitlines()) == 1
    code, out = run("--policy", "act_jepa")
    assert code != 0 and "needs --checkpoint" in out and "train jepa" in out and len(out.splitlines()) == 1
    code, out = run("--policy", "act_jepa", "--checkpoint", str(checkpoint), "--tasks", "assembly")
    assert code != 0 and "not trained on task 'assembly'" in out and len(out.splitlines()) == 1
    code, out = run("--policy", "act_jepa", "--checkpoint", str(tmp_path / "missing"))
    assert code != 0 and "not found" in out and len(out.splitlines()) == 1
    code, out = run("--policy", "act_jepa", "--checkpoint", str(checkpoint), "--replan", "5")
    assert code != 0 and "no plans" in out


def _flight_log(path, n: int, speed: float):
    from plansight.agent.contracts import CameraModel
    from plansight.agent.learning.flight_log import FlightLogWriter

    cam = CameraModel(name="left", width=W, height=H, fx=20.0, fy=20.0, cx=W / 2, cy=H / 2)
    w = FlightLogWriter(path, cam, "test", ground_truth=True)
    for k in range(n):
        state = np.zeros(13)
        state[0], state[2], state[3], state[8] = speed * k * 0.1, 1.0, speed, np.pi / 2  # flying +x, facing +y
        near = 3.0 - 0.1 * k
        gt = np.full((H, W), 5.0, np.float32)
        gt[H // 3: 2 * H // 3, W // 3: 2 * W // 3] = near
        img = np.full((H, W, 3), int(20 * near), np.uint8)
        w.add(0.1 * k, img, gt, np.ones((H, W), bool), state, gt)
    w.close()


def test_flight_logs_train_the_same_model(tmp_path):
    from plansight.agent.learning.flight_data import FlightPolicyDataset, near_distance

    d = np.full((2, H, W), 9.0, np.float32)
    d[0, H // 2, W // 2] = 0.0  # invalid pixels do not count
    d[1, H // 3: 2 * H // 3, W // 3: 2 * W // 3] = 1.5
    assert np.allclose(near_distance(d), [9.0, 1.5])
    _flight_log(tmp_path / "a.h5", 20, 0.5)
    _flight_log(tmp_path / "b.h5", 15, -0.3)
    ds = FlightPolicyDataset([tmp_path / "a.h5", tmp_path / "b.h5"])
    assert ds.cameras == ("left",) and ds.tasks == ("fly",) and len(ds) == 35 and len(ds.demos) == 2
    assert np.allclose(ds.near_m[:20], 3.0 - 0.1 * np.arange(20), atol=1e-5)
    # world +x while facing +y is the drone's right: body velocity (0, -v, 0); the "action" is the next frame's motion
    assert np.allclose(ds.proprio[0, :3], [0.0, -0.5, 0.0], atol=1e-6) and ds.proprio[0, 4] == pytest.approx(1.0)
    assert np.allclose(ds.actions[:19, 1], -0.5) and np.allclose(ds.actions[20:, 1], 0.3)
    cfg = ActJepaConfig(**{**TINY, "chunk": 3}, steps=3)
    summary = train_jepa([tmp_path / "a.h5"], tmp_path / "enc", cfg, dataset=ds)
    assert summary["demos_per_task"] == {"fly": 2} and load_model(tmp_path / "enc").cfg.cameras == ("left",)
    with pytest.raises(ValueError, match="flight log not found"):
        FlightPolicyDataset([tmp_path / "missing.h5"])


def test_shipped_policy_runs_its_mission_file():
    """The committed ACT-JEPA checkpoint loads through ``builtin:`` and drives the arm (a short episode)."""
    from plansight.launch.arm_runner import ArmEpisode, ArmParts, run_arm_episode
    from plansight.launch.mission import load_mission
    from plansight.launch.registry import REGISTRY
    from plansight.sim.metaworld.arm_sim import MetaWorldArm

    assert "act_jepa" in REGISTRY["arm_policy"]
    from pathlib import Path

    m = load_mission(Path(__file__).resolve().parents[2] / "launch" / "missions" / "metaworld_door_open_act_jepa.yaml")
    assert m.arm_policy.checkpoint == "builtin:act_jepa_mw_96x72"
    arm = MetaWorldArm(m.embodiment.model_copy(update={"max_steps": 16}))
    try:
        out = run_arm_episode(arm, ArmEpisode("door-open", "corner2", 100, 0), ArmParts(arm_policy=m.arm_policy))
    finally:
        arm.close()
    assert out.error is None and out.steps == 16 and out.timing["plan"] > 0
