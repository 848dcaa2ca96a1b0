"""Where a run or a result came from: package versions, git commit, platform, time.

Recorded in every ``run.json`` and every evaluation result, so a number can be traced to the code and
the library versions that produced it (results are not comparable across simulator versions).
"""

from __future__ import annotations

import datetime
import platform
import subprocess
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

PACKAGES = ("swarmgym", "numpy", "gymnasium", "pettingzoo", "torch", "stable-baselines3", "ray", "torchrl")
"""Distributions whose versions are recorded (``None`` where one is not installed)."""


def _git(folder: Path, *args: str) -> str:
    """The output of ``git -C folder args``; ``SubprocessError`` if it fails or takes over 10 s."""
    return subprocess.run(
        ["git", "-C", str(folder), *args], capture_output=True, text=True, timeout=10, check=True
    ).stdout


def git_state(folder: Path | None = None) -> tuple[str | None, bool | None]:
    """(HEAD commit, whether tracked files have uncommitted changes) of the checkout holding ``folder``.

    ``folder`` defaults to this package's checkout; ``(None, None)`` outside a git checkout (e.g. an
    installed wheel) or when git cannot answer.
    """
    folder = folder or Path(__file__).resolve().parents[2]
    if not (folder / ".git").exists():
        return None, None
    try:
        commit = _git(folder, "rev-parse", "HEAD").strip()
        status = _git(folder, "status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return None, None
    if not commit:
        return None, None
    return commit, bool(status.strip())


def git_commit(folder: Path | None = None) -> str | None:
    """The git commit of the checkout holding ``folder`` (see :func:`git_state`).

    ``-dirty`` is appended when tracked files have uncommitted changes; None outside a git checkout.
    """
    commit, dirty = git_state(folder)
    return f"{commit}-dirty" if commit and dirty else commit


def package_versions(names: Sequence[str] = PACKAGES) -> dict[str, str | None]:
    """Installed versions of ``names`` (by default :data:`PACKAGES`), None for those not installed."""
    versions: dict[str, str | None] = {}
    for name in names:
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
