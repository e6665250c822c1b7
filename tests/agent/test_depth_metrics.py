"""Depth errors and the scale-aligned variants (agent/perception/depth_metrics.py)."""

import numpy as np
import pytest

from plansight.agent.perception.depth_metrics import align_median, align_scale_shift_inverse, depth_errors


def test_alignment_undoes_scale_and_inverse_depth_shift_but_not_structure():
    rng = np.random.default_rng(0)
    ref = rng.uniform(0.5, 6.0, size=(48, 64)).astype(np.float32)
    mask = np.ones_like(ref, bool)
    scaled = 1.7 * ref
    assert depth_errors(scaled, ref, mask)["abs_rel"] == pytest.approx(0.7, rel=1e-5)
    assert depth_errors(align_median(scaled, ref, mask), ref, mask)["abs_rel"] < 1e-5
    affine = 1.0 / (0.5 / ref + 0.1)  # scale and shift in inverse depth: what MiDaS's alignment removes
    assert depth_errors(affine, ref, mask)["abs_rel"] > 0.2
    assert depth_errors(align_scale_shift_inverse(affine, ref, mask), ref, mask)["abs_rel"] < 1e-4
    noise = ref * np.exp(rng.normal(0, 0.2, ref.shape)).astype(np.float32)  # structure error stays
    assert depth_errors(align_scale_shift_inverse(noise, ref, mask, cap_m=8.0), ref, mask)["abs_rel"] > 0.1
    assert align_scale_shift_inverse(noise, ref, mask, cap_m=3.0).max() <= 3.0


def test_ratio_interval_covers_the_ratio_and_narrows_with_more_rooms():
    from plansight.launch.eval_depth import ratio_interval

    rng = np.random.default_rng(1)

    def sample(rooms: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        n = rooms * 100
        stereo = rng.uniform(0.04, 0.08, n)
        mono = 2.0 * stereo * rng.uniform(0.8, 1.2, n)
        mono[::37] = np.nan  # a frame without a score is skipped, not counted as zero
        return mono, stereo, np.repeat(np.arange(rooms), 100)

    lo5, hi5 = ratio_interval(*sample(5), resamples=500)
    lo20, hi20 = ratio_interval(*sample(20), resamples=500)
    assert lo5 < 2.0 < hi5 and lo20 < 2.0 < hi20
    assert hi20 - lo20 < hi5 - lo5
