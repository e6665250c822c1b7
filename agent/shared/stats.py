"""Success rates as counts with intervals."""

from __future__ import annotations

import math


def wilson(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval of ``successes`` out of ``n`` (95 % for z = 1.96), as fractions; (0, 1) for n = 0."""
    if n <= 0:
        return 0.0, 1.0
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def rate_text(successes: int, n: int) -> str:
    """``"95.6 % (789/825, 94.0–96.8)"``: the rate, the counts and the 95 % Wilson interval in percent."""
    lo, hi = wilson(successes, n)
    rate = 100 * successes / n if n else float("nan")
    return f"{rate:.1f} % ({successes}/{n}, {100 * lo:.1f}–{100 * hi:.1f})"
