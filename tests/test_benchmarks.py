"""The benchmark scripts run end to end on tiny configurations (they measure speed; this only checks
that they keep working and print what they promise, never how fast anything is)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def run_script(name: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / name), *args], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def rows(output: str) -> list[list[str]]:
    return [line.split() for line in output.splitlines()[1:] if line.strip() and not line.startswith("#")]


def test_bench_envs_prints_every_path_with_rates_and_memory():
    output = run_script(
        "bench_envs.py",
        "--envs", "segregation_v0", "consensus_v0",
        "--n", "30", "--k", "3", "--batch", "1", "2",
        "--dict-n", "30", "--with-info", "--repeats", "1", "--seconds", "0.01",
    )  # fmt: skip
    table = rows(output)
    paths = {(row[0], row[1], row[4]) for row in table}
    for env_id in ("segregation_v0", "consensus_v0"):
        for path, batch in (("array", "1"), ("array", "2"), ("array+i", "1"), ("dict", "1"), ("dict+i", "1")):
            assert (env_id, path, batch) in paths
    for row in table:
        rate, rss = float(row[5].replace(",", "")), float(row[6].replace(",", ""))
        assert rate > 0 and rss > 0


def test_bench_envs_prints_the_target_ratios():
    output = run_script(
        "bench_envs.py",
        "--envs", "segregation_v0", "--n", "100", "1000", "10000", "--k", "11", "--batch", "1",
        "--dict-n", "--repeats", "1", "--seconds", "0.01",
    )  # fmt: skip
    assert ("numpy-ref", "ref", "10000") in {(row[0], row[1], row[2]) for row in rows(output)}
    (line,) = [line for line in output.splitlines() if line.startswith("# segregation_v0")]
    assert "fixed-cost ratio" in line and "vs numpy-ref" in line
    assert "(target <= 3: " in line and "(target >= 0.5: " in line  # each target with its verdict


def test_bench_envs_window_preset_and_skips():
    window = rows(
        run_script("bench_envs.py", "--window", "--n", "200", "--repeats", "1", "--seconds", "0.01")
    )
    assert window[0][:2] == ["window", "window"] and float(window[0][5].replace(",", "")) > 0
    fast = run_script(
        "bench_envs.py",
        "--envs", "flocking_v0", "--preset", "fast", "--n", "40", "--k", "3", "--batch", "1", "64",
        "--max-agents", "100", "--dict-n", "--repeats", "1", "--seconds", "0.01", "--tune-malloc",
    )  # fmt: skip
    assert "skipped: B*N > --max-agents" in fast
    assert [row[:5] for row in rows(fast) if "skipped:" not in " ".join(row)] == [
        ["flocking_v0", "array", "40", "3", "1"]
    ]


def test_bench_envs_reports_a_bad_env_instead_of_crashing():
    output = run_script("bench_envs.py", "--envs", "nope_v0", "--n", "10", "--k", "3", "--batch", "1",
                        "--dict-n", "--repeats", "1", "--seconds", "0.01")  # fmt: skip
    assert "error:" in output


@pytest.fixture
def compare_peers():
    sys.path.insert(0, str(BENCHMARKS))
    try:
        spec = importlib.util.spec_from_file_location("compare_peers", BENCHMARKS / "compare_peers.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.path.remove(str(BENCHMARKS))


def test_compare_peers_swarmgym_side_and_ratios(compare_peers, capsys):
    """The swarmgym half of the comparison: rates at the peer's N, one copy and batched, and ratios."""
    array, dict_rates, n = compare_peers.swarmgym_rates("commons_v0", 8, 7, 1, 1, 0.01)
    assert n == 8 and array > 0 and set(dict_rates) == {"dict", "dict+i"} and min(dict_rates.values()) > 0
    batched, no_dict, _ = compare_peers.swarmgym_rates("flocking_v0", 10, 5, 4, 1, 0.01, preset="fast")
    assert batched > 0 and no_dict is None

    class Args:
        repeats, seconds = 1, 0.01

    compare_peers.report("some peer", 8, 1000.0, 7, (1, 2), Args)
    lines = capsys.readouterr().out.splitlines()
    assert lines[1] == "some peer: N = 8, 1,000 agent-steps/s"
    assert len(lines) == 2 + 2 * len(compare_peers.LATTICE_ENVS)
    assert all("x)" in line for line in lines[2:])


def test_compare_peers_target_rows_say_met_only_when_every_env_reaches_the_ratio(compare_peers, capsys):
    envs = compare_peers.LATTICE_ENVS
    battle = {(env, "array", 1): 3.5 for env in envs}
    battle.update({(env, "dict", 1): 1.2 for env in envs})
    battle.update({(env, "array", 64): 12.0 for env in envs})
    battle[envs[-1], "array", 64] = 9.9  # one env short of 10x
    gather = {(env, "array", 1): 2.5 for env in envs[:-1]}  # one env not measured
    gather.update({(env, "dict", 1): 1.0 for env in envs})
    compare_peers.print_targets({"magent2 battle_v4": battle, "magent2 gather_v5": gather})
    lines = [line for line in capsys.readouterr().out.splitlines() if "->" in line]
    assert [line.rsplit("-> ", 1)[1] for line in lines] == ["met", "missed", "met", "met", "missed"]
    assert f"{envs[-1]} 9.90x" in lines[-1]
