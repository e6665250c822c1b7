"""The README's results table is what bench/results holds, rendered (no figure typed in by hand)."""

from __future__ import annotations

from bench import readme_table


def test_readme_table_matches_the_results_files():
    table = readme_table.readme_table(readme_table.README.read_text())
    assert table == readme_table.render(), "README.md is stale: run python -m bench.readme_table --write"
    assert table.count("`bench/results/") >= 10
