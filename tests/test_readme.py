"""Every Python block of the README runs as written (a user copies them)."""

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def test_readme_has_examples():
    assert len(BLOCKS) >= 3


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_python_block_runs(index, capsys):
    exec(compile(BLOCKS[index], f"README block {index}", "exec"), {})
    if "print(" in BLOCKS[index]:
        assert capsys.readouterr().out.strip(), "a README block that prints printed nothing"


def test_readme_rollout_shows_segregation_emerging(capsys):
    """The agents block prints "start -> end" segregation: Schelling's rule must raise it."""
    (block,) = [b for b in BLOCKS if "rollout_parallel(" in b]
    exec(compile(block, "README rollout block", "exec"), {})
    start, end = (float(x) for x in capsys.readouterr().out.split("->"))
    assert 0.4 < start < 0.6 < end
