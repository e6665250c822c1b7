"""Video diffusion model at a tiny size: shapes, learning, save/load, dropout and guidance, bad inputs."""

import numpy as np
import pytest
import torch

from plansight.agent.planning.config_video import DiffusionConfig, VideoModelConfig
from plansight.agent.planning.video_diffusion import VideoDiffusion, to_frames, to_tensor
from plansight.agent.planning.video_model import VideoPlanNet

TINY = VideoModelConfig(height=16, width=16, n_future=3, tasks=("push-left", "push-right"),
                        block_out_channels=(16, 32), attention_head_dim=8, norm_num_groups=8, task_embed_dim=16)


def tiny_net(seed: int = 0) -> VideoPlanNet:
    torch.manual_seed(seed)
    return VideoPlanNet(**TINY.model_dump())


def moving_square(n: int, rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """A bright square that moves 3 px per frame left or right depending on the task."""
    first = np.zeros((n, 16, 16, 3), np.uint8)
    future = np.zeros((n, 3, 16, 16, 3), np.uint8)
    tasks = rng.integers(0, 2, n)
    for i in range(n):
        x, y = rng.integers(5, 8), rng.integers(3, 10)
        first[i, y:y + 4, x:x + 4] = 255
        for k in range(3):
            dx = (k + 1) * 3 * (1 if tasks[i] else -1)
            future[i, k, y:y + 4, x + dx:x + dx + 4] = 255
    return to_tensor(future).movedim(1, 2), to_tensor(first), torch.from_numpy(tasks)


def test_forward_shapes_and_frame_conversion():
    net = tiny_net()
    out = net(torch.randn(2, 3, 3, 16, 16), torch.tensor([3, 900]), torch.randn(2, 3, 16, 16), torch.tensor([0, 2]))
    assert out.shape == (2, 3, 3, 16, 16)
    img = np.random.default_rng(0).integers(0, 256, (4, 16, 16, 3), dtype=np.uint8)
    assert np.array_equal(to_frames(to_tensor(img)), img)


def loss_before_after(diff: VideoDiffusion, batch, rng: np.random.Generator, steps: int = 40) -> tuple[float, float]:
    """Held-out loss (fixed batch, noise and timesteps) before and after ``steps`` AdamW steps on fresh batches
    from ``batch(n, rng)``."""
    eval_batch = batch(16, rng)
    fixed_t = torch.linspace(50, 950, 16).long()

    def eval_loss() -> float:
        with torch.no_grad():
            return float(diff.loss(*eval_batch, generator=torch.Generator().manual_seed(1), timesteps=fixed_t))

    before = eval_loss()
    opt = torch.optim.AdamW(diff.net.parameters(), lr=3e-3)
    for _ in range(steps):
        loss = diff.loss(*batch(16, rng))
        opt.zero_grad()
        loss.backward()
        opt.step()
    return before, eval_loss()


@pytest.mark.parametrize("residual", [False, True])
def test_loss_falls_on_a_tiny_synthetic_task(measured, residual):
    diff = VideoDiffusion(tiny_net(), DiffusionConfig(cond_dropout=0.1, residual=residual))
    before, after = loss_before_after(diff, moving_square, np.random.default_rng(0))
    measured[f"video diffusion tiny synthetic{' (residual)' if residual else ''}, held-out loss before -> after "
             "40 steps"] = f"{before:.3f} -> {after:.3f}"
    assert after < 0.7 * before


def test_save_load_round_trip_gives_identical_samples(tmp_path):
    net = tiny_net(3)
    diff = VideoDiffusion(net, DiffusionConfig(sample_steps=4))
    first = torch.rand(2, 3, 16, 16) * 2 - 1
    ids = net.task_ids(["push-right", "push-left"])
    a = diff.sample(first, ids, torch.Generator().manual_seed(7))
    net.save_pretrained(tmp_path / "ckpt")
    assert (tmp_path / "ckpt" / "diffusion_pytorch_model.safetensors").is_file()
    loaded = VideoPlanNet.from_pretrained(tmp_path / "ckpt")
    b = VideoDiffusion(loaded, DiffusionConfig(sample_steps=4)).sample(first, ids, torch.Generator().manual_seed(7))
    assert torch.equal(a, b)
    c = diff.sample(first, ids, torch.Generator().manual_seed(8))
    assert not torch.equal(a, c)


def test_condition_dropout_and_guidance():
    net = tiny_net(5)
    seen = []
    net.task_embedding.register_forward_hook(lambda m, i, o: seen.append(i[0].clone()))
    diff = VideoDiffusion(net, DiffusionConfig(cond_dropout=1.0))
    future, first, tasks = moving_square(8, np.random.default_rng(0))
    diff.loss(future, first, tasks)
    assert torch.all(seen[-1] == net.null_task)  # every task dropped to the null row
    VideoDiffusion(net, DiffusionConfig(cond_dropout=0.0)).loss(future, first, tasks)
    assert torch.equal(seen[-1], tasks)

    diff = VideoDiffusion(net, DiffusionConfig(sample_steps=3))
    ids = net.task_ids(["push-left"])
    f0 = first[:1]

    def run(s: float, task: torch.Tensor) -> torch.Tensor:
        return diff.sample(f0, task, torch.Generator().manual_seed(0), guidance_scale=s)

    null = torch.tensor([net.null_task])
    assert torch.equal(run(0.0, ids), run(1.0, null))  # s = 0 is the unconditional model
    cond, guided = run(1.0, ids), run(3.0, ids)
    assert not torch.equal(cond, guided)
    with torch.no_grad():  # s = 1 through the two-branch path equals the single conditional pass
        assert torch.allclose(VideoDiffusion(net, DiffusionConfig(sample_steps=3)).sample(
            f0, ids, torch.Generator().manual_seed(0), guidance_scale=1.0 + 1e-7), cond, atol=1e-4)


def test_bad_inputs_are_clear():
    net = tiny_net()
    with pytest.raises(KeyError, match="unknown task 'door-open'; this model knows: push-left, push-right"):
        net.task_ids(["door-open"])
    with pytest.raises(ValueError, match="model is 16x16x3 frames of 3 channels, got 32x16x3 of 3"):
        net(torch.randn(1, 3, 3, 16, 32), torch.tensor([1]), torch.randn(1, 3, 16, 32), torch.tensor([0]))
    with pytest.raises(ValueError, match="multiples of norm_num_groups"):
        VideoModelConfig(tasks=("a",), block_out_channels=(12, 24))


class ZeroCleanNet(torch.nn.Module):
    """Predicts the v whose clean sample is exactly 0 at every step: v = sqrt(ᾱ) / sqrt(1 − ᾱ) · x_t."""

    def __init__(self, net: VideoPlanNet, alphas_cumprod: torch.Tensor) -> None:
        super().__init__()
        self.net, self.a = net, alphas_cumprod

    def __getattr__(self, name):
        try:
            return super().__getattr__(name)
        except AttributeError:
            return getattr(self.net, name)

    def forward(self, noisy, timesteps, first, task_ids):
        a = self.a[timesteps].view(-1, 1, 1, 1, 1)
        return a.sqrt() / (1 - a).sqrt() * noisy


@pytest.mark.parametrize("residual", [False, True])
def test_residual_mode_samples_the_change_from_the_observed_frame(residual):
    diff = VideoDiffusion(tiny_net(), DiffusionConfig(sample_steps=5, guidance_scale=1.0, residual=residual))
    diff.net = ZeroCleanNet(diff.net, diff.noise_scheduler.alphas_cumprod)
    first = torch.rand(2, 3, 16, 16) * 2 - 1
    out = diff.sample(first, torch.tensor([0, 1]), torch.Generator().manual_seed(0))
    # a clean prediction of 0 means "no change" in residual mode, a mid-grey video otherwise
    expected = first.unsqueeze(2).expand_as(out) if residual else torch.zeros_like(out)
    assert torch.allclose(out, expected, atol=1e-3)
