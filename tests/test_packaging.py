"""The built wheel: every package folder is in it, and it installs no top-level ``agents`` module."""

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel_names(tmp_path_factory) -> set[str]:
    # Built from a copy of the sources: two test workers building in the checkout at once would share
    # its build/ and egg-info folders (and race on them).
    source, out = tmp_path_factory.mktemp("source") / "swarmgym", tmp_path_factory.mktemp("wheel")
    ignore = shutil.ignore_patterns(".*", "build", "runs", "*.egg-info", "__pycache__", "leaderboard", "docs")
    shutil.copytree(ROOT, source, ignore=ignore)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "--no-build-isolation", "-w", out],
        check=True,
        capture_output=True,
    )
    (wheel,) = out.glob("swarmgym-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def test_no_top_level_agents_module(wheel_names):
    top_level = {name.split("/")[0] for name in wheel_names if not name.split("/")[0].endswith(".dist-info")}
    assert top_level == {"swarmgym", "swarmgym_agents"}


def test_every_package_folder_is_in_the_wheel(wheel_names):
    expected = {
        str(init.relative_to(ROOT)).replace("agents/", "swarmgym_agents/", 1)
        if init.relative_to(ROOT).parts[0] == "agents"
        else str(init.relative_to(ROOT))
        for folder in ("swarmgym", "agents")
        for init in (ROOT / folder).rglob("__init__.py")
    }
    missing = sorted(expected - wheel_names)
    assert not missing, f"add these packages to [tool.setuptools] packages in pyproject.toml: {missing}"
