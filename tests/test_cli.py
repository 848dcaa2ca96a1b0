"""The swarmgym command as a user runs it: list, demo, render, and clear errors."""

import imageio.v2 as imageio
import pytest

from swarmgym.cli import main
from swarmgym.registry import ENVS


def test_list_prints_every_env(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for env_id in ENVS:
        assert env_id in out


def test_demo_prints_metrics_and_saves_a_gif(tmp_path, capsys):
    assert main(["demo", "--steps", "6", "--out", str(tmp_path), "--envs", "segregation_v0"]) == 0
    out = capsys.readouterr().out
    assert "segregation" in out and "start" in out and "end" in out
    frames = imageio.mimread(tmp_path / "segregation_v0.gif")
    assert len(frames) == 4  # the reset frame + one in two of 6 steps


@pytest.mark.parametrize("suffix", [".gif", ".mp4"])
def test_render_saves_video(tmp_path, suffix):
    out = tmp_path / f"episode{suffix}"
    code = main(
        [
            "render",
            "segregation_v0",
            "--agent",
            "schelling",
            "--steps",
            "5",
            "--out",
            str(out),
            "--config",
            "size=12",
            "tolerance=0.5",
        ]
    )
    assert code == 0
    assert out.stat().st_size > 0
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp files left


def test_bad_inputs_give_clear_errors(tmp_path, capsys):
    assert main(["render", "segregation_v0", "--config", "size=2", "--out", str(tmp_path / "x.gif")]) == 2
    assert "size must be" in capsys.readouterr().err
    assert main(["render", "segregation_v0", "--agent", "nobody", "--out", str(tmp_path / "x.gif")]) == 2
    assert "unknown agent" in capsys.readouterr().err
    assert main(["render", "segregation_v0", "--steps", "1", "--out", str(tmp_path / "x.avi")]) == 2
    assert ".gif or .mp4" in capsys.readouterr().err


def test_render_takes_presets_and_names_bad_ones(tmp_path, capsys):
    out = tmp_path / "opinion.gif"
    assert (
        main(
            [
                "render",
                "consensus_v0",
                "--agent",
                "degroot",
                "--preset",
                "opinion",
                "--steps",
                "3",
                "--config",
                "size=8",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert out.stat().st_size > 0
    assert main(["render", "consensus_v0", "--preset", "nope", "--out", str(tmp_path / "x.gif")]) == 2
    assert "unknown preset" in capsys.readouterr().err


@pytest.mark.parametrize("option", ["--steps", "--frame-every", "--fps"])
def test_counts_must_be_positive(option, capsys):
    with pytest.raises(SystemExit):
        main(["render", "segregation_v0", option, "0"])
    assert f"argument {option}: expected an integer >= 1, got 0" in capsys.readouterr().err


def test_render_overlay_draws_the_main_metric_under_every_frame(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    common = ["render", "segregation_v0", "--agent", "schelling", "--steps", "4", "--frame-every", "2"]
    common += ["--config", "size=12"]
    plain, overlaid = tmp_path / "plain.gif", tmp_path / "overlay.gif"
    assert main([*common, "--out", str(plain)]) == 0
    assert main([*common, "--out", str(overlaid), "--overlay"]) == 0
    plain_frames, overlay_frames = imageio.mimread(plain), imageio.mimread(overlaid)
    assert len(overlay_frames) == len(plain_frames) == 3  # the start + steps 2 and 4
    height, width = plain_frames[0].shape[:2]
    assert all(f.shape[0] > height and f.shape[1] == width for f in overlay_frames)
    strips = [f[height:] for f in overlay_frames]
    assert not (strips[0] == strips[-1]).all()  # the strip fills in as the episode plays
    assert main([*common, "--out", str(tmp_path / "x.gif"), "--overlay", "unsatisfied"]) == 0
    assert imageio.mimread(tmp_path / "x.gif")[0].shape == overlay_frames[0].shape
    assert main([*common, "--out", str(tmp_path / "y.gif"), "--overlay", "nothing"]) == 2
    assert "unknown metric 'nothing'" in capsys.readouterr().err
