"""Where a run or a result came from: package versions, git commit, platform, time.

Recorded in every ``run.json`` and every evaluation result, so a number can be traced to the code and
the library versions that produced it (results are not comparable across simulator versions).
"""

from __future__ import annotations

import datetime
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

PACKAGES = ("swarmgym", "numpy", "gymnasium", "pettingzoo", "torch", "stable-baselines3", "ray", "torchrl")
"""Distributions whose versions are recorded (``None`` where one is not installed)."""


def git_commit(folder: Path | None = None) -> str | None:
    """The git commit of the checkout holding ``folder`` (by default this package's checkout).

    ``-dirty`` is appended when tracked files have uncommitted changes; None outside a git checkout
    (e.g. an installed wheel).
    """
    folder = folder or Path(__file__).resolve().parents[2]
    if not (folder / ".git").exists():
        return None
    try:
        commit = subprocess.run(
            ["git", "-C", str(folder), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(folder), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{commit}-dirty" if commit and dirty else commit or None


def package_versions() -> dict[str, str | None]:
    """Installed versions of :data:`PACKAGES`."""
    versions: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def now() -> str:
    """The current UTC time, ISO 8601 to the second."""
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat()


def provenance() -> dict[str, Any]:
    """Versions, commit, Python and platform of this process, and the time it was taken."""
    return {
        "versions": package_versions(),
        "git_commit": git_commit(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "time": now(),
    }
