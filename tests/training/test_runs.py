"""Runs survive any interruption: kills at random points, signals, leftovers, mismatched resumes."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from swarmgym.cli import main
from swarmgym.training import train
from swarmgym.training.trainer import check_hyper

SMALL = ["size=6", "vacancy=0.3"]  # 25 agents
MFQ_HYPER = ["learning_starts=50", "batch_size=32", "buffer_size=2000"]


def command(out, steps=6000, *extra):
    return [
        sys.executable, "-m", "swarmgym.cli", "train", "segregation_v0", "--algo", "mfq",
        "--steps", str(steps), "--config", *SMALL, "--hyper", *MFQ_HYPER, "--copies", "2",
        "--max-cycles", "10", "--checkpoint-every", "500", "--eval-seeds", "2", "--no-progress",
        "--out", str(out), *extra,
    ]  # fmt: skip


def assert_complete(out, steps):
    run = json.loads((out / "run.json").read_text())
    assert run["steps"] == steps and steps <= run["steps_done"] < steps + run["chunk"]
    assert (out / "model.pt").is_file() and (out / "checkpoint.pt").is_file()
    evaluation = json.loads((out / "eval.json").read_text())
    assert set(evaluation) == {f"mfq:{out}", "random"}
    assert not [p.name for p in out.iterdir() if p.name.startswith(".")], "temporary files left behind"
    assert run["provenance"]["versions"]["numpy"]
    assert run["sessions"][-1]["steps_at_end"] == run["steps_done"]
    assert run["wall_seconds"] > 0
    return run


def wait_for(path, timeout=120):
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} did not appear"
        time.sleep(0.05)


@pytest.mark.parametrize("point", range(4))
def test_a_run_killed_at_a_random_point_resumes_to_a_complete_result(point, tmp_path):
    """Points 0-2: a random step count during training (seeded); point 3: as the final evaluation starts."""
    out = tmp_path / "run"
    process = subprocess.Popen(command(out), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if point < 3:  # kill once training has passed a random (seeded) number of agent-steps
        threshold = int(np.random.default_rng(point).integers(1, 5000))
        wait_for(out / "run.json")
        deadline = time.monotonic() + 120
        while json.loads((out / "run.json").read_text())["steps_done"] < threshold:
            assert time.monotonic() < deadline and process.poll() is None
            time.sleep(0.01)
    else:
        wait_for(out / "model.pt")
    process.kill()
    process.wait()
    (out / ".checkpoint.pt.leftover.pt").write_bytes(b"")  # what a kill inside atomic_path leaves
    assert main(["train", "--resume", "--no-progress", "--out", str(out)]) == 0
    run = assert_complete(out, 6000)
    assert len(run["sessions"]) == 2 or point == 3


def test_sigterm_stops_cleanly_with_a_checkpoint_and_resume_finishes(tmp_path):
    out = tmp_path / "run"
    process = subprocess.Popen(
        command(out, 400_000), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 60
    while not (out / "checkpoint.pt").exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 128 + signal.SIGTERM
    assert "Traceback" not in stderr and "stopped by SIGTERM" in stderr and "--resume" in stderr
    run = json.loads((out / "run.json").read_text())
    assert 0 < run["steps_done"] < 400_000 and not (out / "model.pt").exists()


def test_a_run_killed_during_its_final_evaluation_resumes_into_it(tmp_path):
    out = tmp_path / "run"
    assert main(command(out, 600)[3:]) == 0
    (out / "eval.json").unlink()  # as if killed after the model was written
    run = train(None, None, out, resume=True, progress=False, verbose=False)
    assert "evaluation" in run and (out / "eval.json").is_file()


def test_resume_refuses_another_env_algorithm_or_config(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(command(out, 300)[3:]) == 0
    for extra, message in (
        (["flocking_v0"], "holds segregation_v0, not flocking_v0"),
        (["segregation_v0", "--algo", "ppo"], "trains mfq, not ppo"),
        (["segregation_v0", "--config", "size=7"], "config differs in ['size']"),
    ):
        capsys.readouterr()
        assert main(["train", *extra, "--resume", "--out", str(out)]) == 2
        assert message in capsys.readouterr().err


def test_outputs_are_checked_before_any_work(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    started = time.perf_counter()
    assert main(["train", "segregation_v0", "--out", str(blocker / "run")]) == 2
    assert main(["evaluate", "segregation_v0", "--json", str(tmp_path)]) == 2
    assert main(["render", "segregation_v0", "--out", str(blocker / "x.gif")]) == 2
    assert time.perf_counter() - started < 10
    err = capsys.readouterr().err
    assert err.count("error: cannot write") == 3 and "Traceback" not in err
    if os.geteuid() != 0:  # root writes anywhere
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        assert main(["train", "segregation_v0", "--out", str(locked / "run")]) == 2


@pytest.mark.parametrize(
    "hyper, message",
    [
        ({"n_steps": 0}, "n_steps must be in"),
        ({"learning_rate": float("nan")}, "learning_rate must be a finite number"),
        ({"learning_rat": 0.1}, "unknown ppo hyperparameter 'learning_rat'"),
        ({"n_epochs": 2.5}, "n_epochs must be an integer"),
    ],
)
def test_bad_hyperparameters_are_refused_before_the_learner_is_built(hyper, message):
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("(", r"\(")):
        check_hyper("ppo", hyper)


def test_train_records_the_preference_given_on_the_command_line(tmp_path, capsys):
    out = tmp_path / "run"
    args = ["train", "segregation_v0", "--algo", "mfq", "--steps", "200", "--config", *SMALL,
            "--hyper", *MFQ_HYPER, "--copies", "2", "--max-cycles", "10", "--eval-seeds", "0",
            "--no-progress", "--out", str(out)]  # fmt: skip
    assert main([*args, "--preference", "inequity:alpha=5,beta=0.05"]) == 0
    run = json.loads((out / "run.json").read_text())
    assert run["preference"] == {"kind": "inequity", "alpha": 5.0, "beta": 0.05, "decay": 0.9405}
    assert main([*args[:-1], str(tmp_path / "bad"), "--preference", "inequity:alpha=-1"]) == 2
    assert "inequity alpha and beta must be >= 0" in capsys.readouterr().err


def test_env_hyperparameter_defaults_are_recorded_and_overridable():
    from swarmgym.training.trainer import new_run

    run = new_run("commons_v0", "ppo", 0, None, None, None, None, {"n_steps": 64}, 0)
    assert run["hyper"] == {"gamma": 0.99, "n_steps": 64} and run["max_cycles"] == 1000
    assert new_run("segregation_v0", "ppo", 0, None, None, None, None, None, 0)["hyper"] == {}
