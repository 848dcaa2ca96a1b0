"""The evaluation subcommands end to end (through their own parser), the plot and the render overlay."""

import argparse
import json
from pathlib import Path

import numpy as np
import pytest

from swarmgym.cli import main
from swarmgym.evaluation.commands import add_parsers
from swarmgym.evaluation.overlay import overlay_series
from swarmgym.evaluation.tasks import TASKS

BOARD = Path(__file__).resolve().parents[2] / "leaderboard"


def test_add_parsers_adds_the_subcommands():
    parser = argparse.ArgumentParser()
    add_parsers(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["evaluate", "flocking/vicsek", "--agent", "vicsek", "--workers", "2"])
    assert (args.target, args.agent, args.workers) == ("flocking/vicsek", "vicsek", 2)
    assert parser.parse_args(["leaderboard", "submit", "a.json", "b.json"]).results == ["a.json", "b.json"]


def test_tasks_lists_every_task(capsys):
    assert main(["tasks"]) == 0
    out = capsys.readouterr().out
    for task in TASKS.values():
        assert task.id in out and task.reference in out


def test_evaluate_a_task_writes_a_result_and_refuses_free_options(tmp_path, capsys):
    out = tmp_path / "r.json"
    argv = ["evaluate", "consensus/opinion-hk", "--agent", "degroot", "--out", str(out), "--no-progress"]
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "normalised score" in text and "time to emergence" in text
    result = json.loads(out.read_text())
    assert result["agent"]["name"] == "degroot" and len(result["episodes"]) == 20
    assert main(["plot", str(out)]) == 0
    assert out.with_suffix(".png").read_bytes()[:4] == b"\x89PNG"
    assert main(["evaluate", "consensus/opinion-hk", "--config", "size=9"]) == 2
    assert "a task fixes its config" in capsys.readouterr().err
    assert main(["evaluate", "flocking/nothing"]) == 2
    assert "unknown task" in capsys.readouterr().err


def test_evaluate_an_env_id_keeps_the_old_behaviour(tmp_path, capsys):
    out = tmp_path / "old.json"
    argv = ["evaluate", "segregation_v0", "--agent", "schelling", "--config", "size=6", "vacancy=0.3"]
    argv += ["--seeds", "3", "4", "--max-cycles", "5", "--compare-random", "--json", str(out)]
    assert main(argv) == 0
    assert "segregation" in capsys.readouterr().out
    assert set(json.loads(out.read_text())) == {"schelling", "random"}


def test_leaderboard_export_writes_marl_eval_layout(tmp_path):
    out = tmp_path / "marl.json"
    assert main(["leaderboard", "export", "--dir", str(BOARD), "--out", str(out)]) == 0
    layout = json.loads(out.read_text())
    assert set(layout) == {"flocking", "consensus", "segregation", "commons"}
    assert "random" in layout["segregation"]["schelling"]


def test_overlay_appends_the_series_strip_up_to_each_frame():
    frames = [np.full((120, 160, 3), 40, dtype=np.uint8) for _ in range(4)]
    series = np.linspace(0.0, 1.0, 30)
    out = overlay_series(frames, series, label="polarisation", threshold=0.5)
    assert len(out) == 4 and all(f.shape == (120 + 90, 160, 3) and f.dtype == np.uint8 for f in out)
    assert all(np.array_equal(f[:120], frames[0]) for f in out)  # the frame itself is untouched
    strips = [f[120:] for f in out]
    assert not np.array_equal(strips[1], strips[2])  # the cursor moves
    # Later frames show more of the chart: fewer faded (near-white) pixels.
    faded = [int((s.min(axis=2) > 180).sum()) for s in strips]
    assert faded[0] >= faded[1] >= faded[2] >= faded[3]
    assert overlay_series([], series) == []
    with pytest.raises(ValueError, match="same shape"):
        overlay_series([frames[0], frames[0][:10]], series)
    odd = overlay_series([np.zeros((675, 640, 3), dtype=np.uint8)], series)[0]
    assert odd.shape[0] % 2 == 0  # H.264 (MP4) needs an even height
