"""The fuzz bench at a small scale: every target runs, nothing crashes, hangs or becomes unsafe (the full counts
run in ``make bench``)."""

from __future__ import annotations

from bench import fuzz


def test_navdata_and_at_fuzz_hold():
    nav = fuzz.fuzz_navdata(4000)
    assert nav["total"] == 4000 and nav["crashes"] == 0 and nav["unsafe"] == 0 and nav["hangs_over_1s"] == 0
    assert nav["link_stats"]["nav_implausible"] > 0 and nav["link_stats"]["nav_ok"] > 500
    at = fuzz.fuzz_at(1000, 200)
    assert at["crashes"] == 0 and at["unsafe"] == 0 and at["unstable_resets"] == 0
    assert at["udp"]["obeys_afterwards"] and at["udp"]["at_thread_errors"] == 0


def test_pave_and_rpc_fuzz_hold():
    pave = fuzz.fuzz_pave(3000)
    assert pave["crashes"] == 0 and pave["recovered_fraction"] > 0.9 and pave["max_buffer_bytes"] < 100_000
    rpc = fuzz.fuzz_rpc(120)
    assert rpc["crashes"] == 0 and rpc["unsafe"] == 0 and rpc["answers_ping"] and rpc["answers_state"]
