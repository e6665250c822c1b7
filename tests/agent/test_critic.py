"""The plan critic: it separates a synthetic set of good plans (the object travels to the goal) from bad ones (it
stays, or jumps about) on held-out seeds, with either encoder; the frozen ACT-JEPA encoder stays frozen; the
planner returns the critic's best candidate; the selection and accuracy measures count what they say."""

import numpy as np
import pytest
import torch

from plansight.agent.contracts import Observation, VideoPlan
from plansight.agent.learning import critic_metrics as cm
from plansight.agent.learning.labelled_plans import load_labels, start_path
from plansight.agent.learning.train_critic import train_critic
from plansight.agent.learning.train_jepa import load_model
from plansight.agent.planning.config_critic import CriticConfig, TrainCriticConfig
from plansight.agent.planning.config_planner import DiffusionPlannerConfig
from plansight.agent.planning.critic import PlanCritic, load_critic_net
from plansight.agent.planning.video_planner import DiffusionVideoPlanner
from plansight.agent.shared.builtin import resolve_model

TASKS = ("door-open", "button-press")


def synthetic_plan(good: bool, rng: np.random.Generator, frames: int = 8, h: int = 24, w: int = 32) -> np.ndarray:
    """(frames, h, w, 3) uint8: a grey scene with a red block. Good: the block slides steadily right. Bad: it
    stays put or jumps to random places."""
    out = np.full((frames, h, w, 3), 90, np.uint8)
    out[:, h // 2:, :] = 60
    x, y = int(rng.integers(2, 8)), int(rng.integers(4, h - 8))
    still = rng.random() < 0.5
    for t in range(frames):
        if good:
            xt, yt = x + 3 * t, y
        elif still:
            xt, yt = x, y
        else:
            xt, yt = int(rng.integers(0, w - 4)), int(rng.integers(0, h - 4))
        out[t, yt:yt + 4, xt:xt + 4] = (200, 40, 40)
    return out


def write_synthetic(root, seeds, per_start: int = 4, seed: int = 0) -> None:
    """Labelled starts in ``plansight collect plans``'s layout, half the plans good."""
    rng = np.random.default_rng(seed)
    for s in seeds:
        for task in TASKS:
            good = rng.random(per_start) < 0.5
            frames = np.stack([synthetic_plan(bool(g), rng) for g in good])
            path = start_path(root, task, "corner", s)
            path.parent.mkdir(parents=True, exist_ok=True)
            np.savez(path, frames=frames, success=good, success_step=np.where(good, 100, -1),
                     steps=np.full(per_start, 500), error=np.array([""] * per_start))


CFG = dict(encoder="cnn", test_seeds=(100, 104), val_seeds=(105, 107), steps=150, batch_size=32, eval_every=50,
           learning_rate=3e-3)


@pytest.fixture(scope="module")
def labels(tmp_path_factory):
    root = tmp_path_factory.mktemp("labels")
    write_synthetic(root, range(100, 120))
    return root


def held_out_auc(critic_path, labels) -> float:
    data = load_labels(labels, seeds=range(100, 105))
    critic = PlanCritic(critic_path)
    s = critic.score_frames(data["frames"], data["task"], data["camera"])
    return cm.auc(s, data["success"])


def test_cnn_critic_separates_good_from_bad_plans(labels, tmp_path):
    torch.set_num_threads(2)
    extra = train_critic(labels, tmp_path / "c", TrainCriticConfig(**CFG))
    assert extra["counts"]["test"]["plans"] == 40 and extra["counts"]["train"]["plans"] == 96
    assert held_out_auc(tmp_path / "c" / "model.safetensors", labels) >= 0.9
    assert (tmp_path / "c" / "log.jsonl").is_file()


def test_frozen_act_jepa_critic_separates_and_keeps_the_encoder(labels, tmp_path):
    torch.set_num_threads(2)
    cfg = TrainCriticConfig(**{**CFG, "encoder": "act_jepa", "steps": 600, "eval_every": 100})
    train_critic(labels, tmp_path / "j", cfg)
    assert held_out_auc(tmp_path / "j", labels) >= 0.8
    net, _ = load_critic_net(tmp_path / "j")
    source = load_model(resolve_model("builtin:act_jepa_mw_96x72")).encoder.state_dict()
    for k, v in net.jepa.state_dict().items():
        assert torch.equal(v, source[k]), k  # never trained


def test_split_needs_both_classes(tmp_path):
    write_synthetic(tmp_path, range(100, 110))
    for p in (tmp_path / "starts").glob("*.npz"):  # every plan failed
        with np.load(p) as z:
            arrays = dict(z)
        arrays["success"][:] = False
        np.savez(p, **arrays)
    with pytest.raises(ValueError, match="needs both successes and failures"):
        train_critic(tmp_path, tmp_path / "c", TrainCriticConfig(**{**CFG, "test_seeds": (100, 101),
                                                                    "val_seeds": (102, 103)}))


def test_best_of_n_and_accuracy_count_what_they_say():
    starts = np.array([0, 0, 1, 1, 2, 2])
    labels = np.array([False, True, False, False, True, True])
    scores = np.array([0.9, 0.1, 0.5, 0.4, 0.2, 0.8])  # wrong at start 0
    bon = cm.best_of_n(scores, labels, starts, ns=(1, 2))
    assert bon["n1"]["mean"] == pytest.approx(1 / 3, abs=1e-4) and bon["n1"]["critic_top1"]["k"] == 1
    assert bon["n2"]["critic_top1"]["k"] == 1 and bon["n2"]["pass_at_n"]["k"] == 2
    assert bon["n2"]["mean"] == pytest.approx(0.5)
    acc = cm.accuracy(scores, labels, 0.45)
    assert acc["accuracy"]["k"] == 2 and acc["always_reject_accuracy"]["k"] == 3
    assert cm.auc(scores, np.zeros(6, bool)) is None


@pytest.fixture(scope="module")
def tiny_planner(tmp_path_factory):
    """The tiny video model (moving squares, 4 frames of 16×16), a self-conditioned copy of it as refiner, and a
    critic at its format trained 3 steps on random labels (its scores are arbitrary but fixed)."""
    import shutil

    from plansight.agent.learning.train_video import train_video
    from plansight.agent.planning.config_video import DiffusionConfig, TrainVideoConfig
    from plansight.agent.planning.refine import make_self_conditioned
    from plansight.agent.planning.video_model import VideoPlanNet
    from tests.agent.test_video_training import MODEL, write_dataset

    tmp = tmp_path_factory.mktemp("tiny")
    write_dataset(tmp / "d.h5")
    train_video(tmp / "d.h5", tmp / "base", TrainVideoConfig(
        model=MODEL, diffusion=DiffusionConfig(sample_steps=2), steps=2, batch_size=2, save_every=2, sample_every=100,
        ema_every=1, learning_rate=1e-3))
    make_self_conditioned(VideoPlanNet.from_pretrained(tmp / "base" / "model")).save_pretrained(tmp / "refiner")
    shutil.copy(tmp / "base" / "model" / "plansight_train.json", tmp / "refiner")
    rng = np.random.default_rng(1)
    for s in range(100, 112):
        frames = rng.integers(0, 256, (4, 4, 16, 16, 3), dtype=np.uint8)
        path = start_path(tmp / "labels", "push-left", "corner", s)
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(path, frames=frames, success=np.array([True, False, True, False]), success_step=np.zeros(4),
                 steps=np.zeros(4), error=np.array([""] * 4))
    train_critic(tmp / "labels", tmp / "critic", TrainCriticConfig(
        encoder="cnn", test_seeds=(100, 101), val_seeds=(102, 104), steps=3, eval_every=1, batch_size=8))
    obs = Observation(t=0.0, images={"corner": rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)},
                      state=np.zeros(3))
    return tmp, obs


def test_planner_returns_the_critics_best_candidate(tiny_planner):
    """A planner with a critic and 4 candidates returns, of the 4 plans the same seed samples, the best-scored."""
    tmp, obs = tiny_planner
    model = str(tmp / "base" / "model")
    cfg = DiffusionPlannerConfig(checkpoint=model, critic=CriticConfig(checkpoint=str(tmp / "critic")), candidates=4)
    planner = DiffusionVideoPlanner.from_config(cfg)
    best = planner.plan(obs, "push-left", "corner", n=1, seed=7)
    assert len(best) == 1 and best[0].score is not None
    plain = DiffusionVideoPlanner(model).plan(obs, "push-left", "corner", n=4, seed=7)
    scores = planner.critic.score(plain)
    assert best[0].score == pytest.approx(scores.max(), abs=1e-6)
    assert np.array_equal(best[0].frames, plain[int(np.argmax(scores))].frames)
    assert planner.timings["critic"] > 0


def test_critic_stops_refinement_and_keeps_only_better_plans(tiny_planner):
    """Refinement runs only while the critic rejects a plan, and a refined plan replaces it only if it scores
    higher: with every plan accepted nothing is refined; with none accepted, no returned plan scores below the
    unrefined choice."""
    from plansight.agent.planning.config_refine import RefinerConfig

    tmp, obs = tiny_planner
    cfg = DiffusionPlannerConfig(checkpoint=str(tmp / "base" / "model"),
                                 critic=CriticConfig(checkpoint=str(tmp / "critic")), candidates=4,
                                 refiner=RefinerConfig(checkpoint=str(tmp / "refiner")), refine_rounds=3)
    planner = DiffusionVideoPlanner.from_config(cfg)
    no_refine = DiffusionVideoPlanner.from_config(cfg.model_copy(update={"refiner": None}))
    chosen = no_refine.plan(obs, "push-left", "corner", n=2, seed=3)
    planner.critic.threshold = 0.0  # accepts everything
    calls = []
    refine = planner.refiner.refine
    planner.refiner.refine = lambda *a, **k: calls.append(1) or refine(*a, **k)
    accepted = planner.plan(obs, "push-left", "corner", n=2, seed=3)
    assert not calls and [p.score for p in accepted] == [p.score for p in chosen]
    planner.critic.threshold = 2.0  # accepts nothing: every round refines
    refined = planner.plan(obs, "push-left", "corner", n=2, seed=3)
    assert len(calls) == 3
    assert [p.score for p in refined] == sorted((p.score for p in refined), reverse=True)
    assert refined[0].score >= chosen[0].score - 1e-9 and min(p.score for p in refined) >= chosen[1].score - 1e-9


def test_candidates_need_a_critic():
    with pytest.raises(ValueError, match="needs a critic"):
        DiffusionPlannerConfig(checkpoint="x", candidates=4)


def test_critic_refuses_plans_of_another_format(tmp_path, labels):
    train_critic(labels, tmp_path / "c", TrainCriticConfig(**{**CFG, "steps": 2, "eval_every": 1}))
    critic = PlanCritic(tmp_path / "c")
    with pytest.raises(ValueError, match="the critic reads"):
        critic.score_frames(np.zeros((1, 5, 24, 32, 3), np.uint8), ["door-open"], ["corner"])
    with pytest.raises(ValueError, match="knows no task"):
        critic.score([VideoPlan(frames=np.zeros((8, 24, 32, 3), np.uint8), camera="corner", task="hammer")])


def test_the_shipped_critic_judges_the_shipped_models_plans():
    """``builtin:critic_mw_64x48`` reads ``video_mw_64x48``'s plans (8 frames, 64×48), every AVDC task, and the
    planner's preflight accepts the pair."""
    from plansight.agent.planning.video_planner import DiffusionVideoPlanner
    from plansight.sim.metaworld.tasks import TASKS

    critic = PlanCritic("builtin:critic_mw_64x48")
    assert critic.net.cfg.encoder == "act_jepa" and 0.0 < critic.threshold < 1.0
    rng = np.random.default_rng(0)
    s = critic.score_frames(rng.integers(0, 256, (2, 8, 48, 64, 3), dtype=np.uint8), ["door-open"] * 2,
                            ["corner", "corner3"])
    assert s.shape == (2,) and ((s >= 0) & (s <= 1)).all()
    cfg = DiffusionPlannerConfig(checkpoint="builtin:video_mw_64x48", critic=CriticConfig(
        checkpoint="builtin:critic_mw_64x48"), candidates=4)
    DiffusionVideoPlanner.preflight(cfg, list(TASKS), 320, 240)
