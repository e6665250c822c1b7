"""Integer lists from the command line: seeds and room numbers."""

from __future__ import annotations


def parse_ints(spec: str, what: str, bare_is_count: bool) -> list[int]:
    """``"0-24"`` → 0…24, ``"3,5"`` → [3, 5]; a bare ``"25"`` is seeds 0–24 when ``bare_is_count`` (eval's
    ``--seeds 25``), else the one value [25]. Every value ≥ 0. ``ValueError`` naming ``what`` otherwise."""
    example = "a count like 25, " if bare_is_count else ""
    try:
        s = spec.strip()
        if "-" in s:
            lo, hi = (int(x) for x in s.split("-", 1))
            if hi < lo or lo < 0:
                raise ValueError
            return list(range(lo, hi + 1))
        if "," in s or not bare_is_count:
            values = [int(x) for x in s.split(",")]
            if any(v < 0 for v in values):
                raise ValueError
            return values
        n = int(s)
        if n < 1:
            raise ValueError
        return list(range(n))
    except ValueError:
        raise ValueError(f"{what}: expected {example}a range like 0-24 or a list like 3,5; got {spec!r}") from None
