"""The leaderboard: README exactly as built, submit's refusals, the HTML page (parser and real browser)."""

import base64
import copy
import json
import os
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from swarmgym.evaluation import leaderboard
from swarmgym.evaluation.results import entry_key, entry_label, read_result
from swarmgym.evaluation.tasks import TASKS

BOARD = Path(__file__).resolve().parents[2] / "leaderboard"
CHROMIUM = "/usr/bin/chromium"


def test_readme_is_exactly_what_build_produces():
    results = leaderboard.load_results(BOARD / "results")
    dilemmas = leaderboard.load_dilemmas(BOARD / "dilemmas")
    assert [d["env_id"] for d in dilemmas] == ["commons_v0"], "the commons Schelling diagram is missing"
    expected = leaderboard.render_markdown(leaderboard.document(results, dilemmas))
    assert (BOARD / "README.md").read_text() == expected, "run `swarmgym leaderboard build`"


def test_every_task_has_random_and_its_rule_based_agents_on_the_board():
    names = {path.stem for path in (BOARD / "results").glob("*.json")}
    for task in TASKS.values():
        for agent in ("random", *task.agents):
            assert f"{task.slug}__{agent}" in names, f"missing entry {agent} on {task.id}"


def _one_result(task_id="consensus/kuramoto-local", agent="kuramoto"):
    return BOARD / "results" / f"{task_id.replace('/', '__')}__{agent}.json"


def test_submit_validates_and_refuses_duplicates_and_mismatches(tmp_path):
    board = tmp_path / "board"
    source = _one_result()
    target = leaderboard.submit(source, board, rebuild=False)
    assert target == board / "results" / source.name
    with pytest.raises(ValueError, match="already has this entry"):
        leaderboard.submit(source, board, rebuild=False)
    data = json.loads(source.read_text())
    stale = copy.deepcopy(data)
    stale["task"]["hash"] = "f" * 16
    stale["agent"]["name"] = "degroot"
    bad = tmp_path / "stale.json"
    bad.write_text(json.dumps(stale))
    with pytest.raises(ValueError, match="different task content"):
        leaderboard.submit(bad, board, rebuild=False)
    few = copy.deepcopy(data)
    few["evaluation"]["seeds"] = few["evaluation"]["seeds"][:3]
    few["episodes"] = few["episodes"][:3]
    few["agent"]["name"] = "degroot"
    bad.write_text(json.dumps(few))
    with pytest.raises(ValueError, match="are not consensus/kuramoto-local's seeds 10000..10019"):
        leaderboard.submit(bad, board, rebuild=False)
    assert sorted(p.name for p in (board / "results").iterdir()) == [source.name]


def test_submit_refuses_a_learned_entry_over_the_budget(tmp_path):
    data = json.loads(_one_result().read_text())
    data["agent"] = {
        "name": "ppo:runs/x",
        "kind": "learned",
        "algo": "ppo",
        "run_dir": "runs/x",
        "checkpoint": "model.zip",
        "checkpoint_sha256": "ab" * 32,
        "training": {"seed": 0, "steps_done": 5_000_000, "config": {}, "env_id": "consensus_v0"},
    }
    path = tmp_path / "learned.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ValueError, match="over consensus/kuramoto-local's budget class of 1M agent-steps"):
        leaderboard.submit(path, tmp_path / "board", rebuild=False)
    data["agent"]["training"]["steps_done"] = 1_000_000
    path.write_text(json.dumps(data))
    target = leaderboard.submit(path, tmp_path / "board", rebuild=False)
    assert target.stem == entry_key(read_result(target)) and "ppo-seed0-abababab" in target.stem
    data["agent"]["checkpoint_sha256"] = "cd" * 32  # the same run retrained: another checkpoint, same name
    path.write_text(json.dumps(data))
    with pytest.raises(ValueError, match="ppo:runs/x is already on consensus/kuramoto-local"):
        leaderboard.submit(path, tmp_path / "board", rebuild=False)


def test_a_learned_entry_names_its_social_preference():
    agent = {"kind": "learned", "algo": "ppo", "training": {"seed": 3, "steps_done": 2_000_000}}
    assert entry_label(agent) == "ppo (seed 3, 2M steps)"
    agent["training"]["preference"] = {"kind": "prosocial", "alpha": 1.0}
    assert entry_label(agent) == "ppo (seed 3, 2M steps, prosocial(a=1))"


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.images, self.external, self.cells = [], [], [], []
        self._in_cell = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append(tag)
        if tag == "img":
            self.images.append(attrs.get("src", ""))
        for key in ("src", "href"):
            if key in attrs and not attrs[key].startswith(("data:", "#")):
                self.external.append(attrs[key])
        self._in_cell = tag in ("td", "th")

    def handle_endtag(self, tag):
        self._in_cell = False if tag in ("td", "th") else self._in_cell

    def handle_data(self, data):
        if self._in_cell:
            self.cells.append(data)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    board = tmp_path_factory.mktemp("board")
    (board / "results").mkdir()
    for agent in ("random", "kuramoto"):
        shutil.copy(_one_result(agent=agent), board / "results")
    return board, leaderboard.build(board)


def test_build_writes_a_self_contained_page_with_the_same_tables(built):
    board, written = built
    page = _Page()
    page.feed(written["html"].read_text())
    readme = written["readme"].read_text()
    n_tables = readme.count("\n|---")
    assert page.tags.count("table") == n_tables == 3  # tasks, the task's entries, across tasks
    assert page.external == []
    assert len(page.images) == 3 and all(src.startswith("data:image/png;base64,") for src in page.images)
    for src in page.images:
        assert base64.b64decode(src.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    assert "kuramoto" in page.cells and "random" in page.cells
    for name in ("consensus__kuramoto-local_scores.png", "consensus__kuramoto-local_series.png"):
        assert (board / "plots" / name).read_bytes()[:4] == b"\x89PNG"


@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="chromium is not installed")
def test_the_page_renders_in_a_headless_browser(built, tmp_path):
    _, written = built
    flags = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--no-first-run",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
    ]
    url = written["html"].resolve().as_uri()
    shot = tmp_path / "page.png"
    shot_flags = [f"--screenshot={shot}", "--window-size=1200,1600"]
    subprocess.run([*flags, *shot_flags, url], capture_output=True, timeout=60)
    assert shot.exists() and shot.stat().st_size > 10_000
    dom = subprocess.run([*flags, "--dump-dom", url], capture_output=True, text=True, timeout=60).stdout
    page = _Page()
    page.feed(dom)
    assert page.tags.count("table") == 3 and len(page.images) == 3
    assert "consensus/kuramoto-local" in dom


def test_dilemma_section_states_the_measured_game():
    cell = {"mean": 1.0, "low": 0.5, "high": 1.5}
    diagram = {
        "env_id": "commons_v0", "cooperator": {"agent": "restrained"}, "defector": {"agent": "greedy"},
        "n_agents": 2, "max_cycles": 10, "seeds": [0], "copies": 2, "samples_per_point": 2,
        "rows": [{"cooperators": c, "cooperator_return": None if c == 0 else cell,
                  "defector_return": None if c == 2 else cell, "group_return": cell, "collapse_rate": 0.5}
                 for c in range(3)],
        "dilemma": {"all_cooperate_return": 8.0, "all_defect_return": 2.0,
                    "all_cooperate_over_all_defect": 4.0, "defector_advantage": [1.0, 0.5],
                    "greed": True, "fear": True},
    }  # fmt: skip
    section = leaderboard.dilemma_section(diagram)
    assert "4.0× the 2.0" in section.paragraphs[0] and "x = 0, 1" in section.paragraphs[0]
    assert "prisoner's dilemma" in section.paragraphs[0]
    assert section.tables[0].rows[0] == ["0", "—", "1.0 [0.5, 1.5]", "1.0 [0.5, 1.5]", "0.50"]
    diagram["dilemma"].update(greed=False, defector_advantage=[1.0, -0.5])
    assert "stag hunt" in leaderboard.dilemma_section(diagram).paragraphs[0]
    diagram["dilemma"].update(all_defect_return=0.0, all_cooperate_over_all_defect=None)
    assert "∞× the 0.0" in leaderboard.dilemma_section(diagram).paragraphs[0]
