"""A small encoder–decoder that maps one RGB image to metric depth and a per-pixel variance.

Architecture (defaults, ≈ 0.5 M parameters): normalised RGB (optionally plus two coordinate channels,
"CoordConv"; measured no better here, so off by default), five stride-2 encoder stages of two 3×3 convs with
batch norm and ReLU (16, 32, 48, 64, 96 channels; output stride 32), a U-Net decoder with skip
connections back to stride 2, a 2-channel head and a bilinear upsample to the input size.

The head predicts ``mu = log(depth)`` and ``s = log(variance of log depth)``, i.e. a Gaussian on log
depth (heteroscedastic regression, Kendall & Gal 2017). Depth in metres is ``exp(mu)``; the variance
in m² is ``depth² · exp(s)`` to first order.

Input: B×3×H×W float in [0, 1] (RGB). H and W must be multiples of 32 (128×96 is).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from plansight.agent.learning.checkpoint import load_checkpoint, read_meta
from plansight.agent.perception.config_persistent import MonoNetConfig


def _stage(cin: int, cout: int, stride: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
        nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class MonoDepthNet(nn.Module):
    """See the module docstring. ``forward`` returns (mu, log_var), each B×1×H×W."""

    _MEAN = (0.45, 0.45, 0.45)
    _STD = (0.25, 0.25, 0.25)

    def __init__(self, cfg: MonoNetConfig | None = None) -> None:
        super().__init__()
        self.cfg = cfg or MonoNetConfig()
        ch = self.cfg.channels
        cin0 = 5 if self.cfg.coord_channels else 3
        self.encoder = nn.ModuleList(_stage(cin, cout, 2) for cin, cout in zip((cin0, *ch[:-1]), ch, strict=True))
        self.decoder = nn.ModuleList(_stage(ch[k] + ch[k - 1], ch[k - 1], 1) for k in range(len(ch) - 1, 0, -1))
        self.head = nn.Conv2d(ch[0], 2, 3, 1, 1)
        self.register_buffer("mean", torch.tensor(self._MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(self._STD).view(1, 3, 1, 1), persistent=False)
        # start near the middle of the depth range with unit log-variance
        nn.init.zeros_(self.head.weight)
        mid = 0.5 * (torch.log(torch.tensor(self.cfg.min_depth_m)) + torch.log(torch.tensor(self.cfg.max_depth_m)))
        with torch.no_grad():
            self.head.bias.copy_(torch.tensor([float(mid), 0.0]))

    def forward(self, rgb: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h, w = rgb.shape[-2:]
        x = (rgb - self.mean) / self.std
        if self.cfg.coord_channels:
            # the camera is level at a known height, so image row is a strong depth cue (floor, ceiling)
            rows = torch.linspace(-1.0, 1.0, h, device=x.device).view(1, 1, h, 1).expand(x.shape[0], 1, h, w)
            cols = torch.linspace(-1.0, 1.0, w, device=x.device).view(1, 1, 1, w).expand(x.shape[0], 1, h, w)
            x = torch.cat([x, rows, cols], dim=1)
        skips = []
        for stage in self.encoder:
            x = stage(x)
            skips.append(x)
        x = skips.pop()
        for stage in self.decoder:
            skip = skips.pop()
            x = F.interpolate(x, size=skip.shape[-2:], mode="bilinear", align_corners=False)
            x = stage(torch.cat([x, skip], dim=1))
        out = F.interpolate(self.head(x), size=(h, w), mode="bilinear", align_corners=False)
        lo, hi = torch.log(torch.tensor(self.cfg.min_depth_m)), torch.log(torch.tensor(self.cfg.max_depth_m))
        mu = out[:, :1].clamp(float(lo), float(hi))
        log_var = out[:, 1:].clamp(-10.0, 5.0)
        return mu, log_var


def gaussian_log_depth_loss(mu: torch.Tensor, log_var: torch.Tensor, target_depth: torch.Tensor,
                            valid: torch.Tensor) -> torch.Tensor:
    """Mean Gaussian negative log-likelihood of ``log(target_depth)`` over ``valid`` pixels only.

    Args:
        mu, log_var: B×1×H×W network outputs.
        target_depth: B×1×H×W metres (any value where invalid).
        valid: B×1×H×W bool; pixels where the teacher (stereo) is trusted.
    """
    n = valid.sum()
    if n == 0:
        return (mu * 0).sum()
    t = torch.log(target_depth.clamp_min(1e-3))
    nll = 0.5 * (log_var + (mu - t) ** 2 * torch.exp(-log_var))
    return nll[valid].sum() / n


def l1_log_depth_loss(mu: torch.Tensor, log_var: torch.Tensor, target_depth: torch.Tensor,
                      valid: torch.Tensor) -> torch.Tensor:
    """Mean |mu − log(target)| over ``valid`` pixels, plus the Gaussian NLL of the variance head with ``mu`` held
    fixed (a stopped gradient). The mean is fitted by L1 alone, so a hard pixel cannot buy a lower loss by
    inflating its variance instead of getting closer; the variance still learns the error it sees. Shapes as
    ``gaussian_log_depth_loss``."""
    n = valid.sum()
    if n == 0:
        return (mu * 0).sum()
    t = torch.log(target_depth.clamp_min(1e-3))
    l1 = (mu - t).abs()
    nll = 0.5 * (log_var + (mu.detach() - t) ** 2 * torch.exp(-log_var))
    return (l1 + nll)[valid].sum() / n


LOSSES = {"gaussian_nll": gaussian_log_depth_loss, "l1_log": l1_log_depth_loss}
"""The learner's losses by name (``LearnerConfig.loss``)."""


def load_mono_net(path) -> tuple[MonoDepthNet, dict]:
    """The network a checkpoint (``retrain-depth`` or a mission's learner) holds, built from its own config, in eval
    mode, and the checkpoint's metadata; ``CheckpointError`` naming the file otherwise."""
    net = MonoDepthNet(MonoNetConfig(**read_meta(path)["config"]["net"]))
    meta = load_checkpoint(path, net)
    return net.eval(), meta


def count_parameters(net: nn.Module) -> int:
    return sum(p.numel() for p in net.parameters())
