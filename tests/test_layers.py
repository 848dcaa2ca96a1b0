"""Imports point one way: core <- envs <- registry <- agents <- training / evaluation <- cli.

Checked on the source (lazy imports inside functions count too), so a low module can never reach up.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HIGH = ("swarmgym/cli.py", "swarmgym/training/", "swarmgym/evaluation/")
"""Modules above the agents: they may import swarmgym_agents (and nothing imports the CLI)."""


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def sources(folder: str):
    return sorted((ROOT / folder).rglob("*.py"))


def relative(path: Path) -> str:
    return str(path.relative_to(ROOT))


@pytest.mark.parametrize(
    "path", [p for p in sources("swarmgym") if not relative(p).startswith(HIGH)], ids=relative
)
def test_the_env_package_never_imports_the_agents_or_what_sits_above(path):
    forbidden = [
        name
        for name in imported_modules(path)
        if name.split(".")[0] in ("swarmgym_agents", "agents")
        or name.startswith(("swarmgym.cli", "swarmgym.training", "swarmgym.evaluation"))
    ]
    assert not forbidden, f"{relative(path)} imports {forbidden}: a lower layer must not import a higher one"


@pytest.mark.parametrize("path", sources("swarmgym/core") + sources("swarmgym/envs"), ids=relative)
def test_core_and_envs_know_no_registry_and_envs_no_pettingzoo_or_pygame(path):
    names = imported_modules(path)
    assert "swarmgym.registry" not in names, f"{relative(path)} imports the registry (it sits above)"
    if relative(path).startswith("swarmgym/envs/"):
        clients = [n for n in names if n.split(".")[0] in ("pettingzoo", "pygame")]
        assert not clients, f"{relative(path)} imports {clients}: only core/ adapts to PettingZoo and pygame"


@pytest.mark.parametrize("path", sources("agents"), ids=relative)
def test_agents_never_import_the_trainer_evaluation_or_cli(path):
    above = ("swarmgym.cli", "swarmgym.training", "swarmgym.evaluation")
    forbidden = [n for n in imported_modules(path) if n.startswith(above)]
    assert not forbidden, f"{relative(path)} imports {forbidden}, which sit above the agents"
