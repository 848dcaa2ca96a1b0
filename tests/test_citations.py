"""Code and docs cite the model reference users have, docs/models.md, by anchors that exist."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "docs" / "models.md"
SCANNED = ("swarmgym", "agents", "tests", "examples", "benchmarks", "docs", "leaderboard")
CITATION = re.compile(r"([\w./-]*)models\.md(#[\w-]+)?")


def _files():
    yield ROOT / "README.md"
    for folder in SCANNED:
        for path in sorted((ROOT / folder).rglob("*")):
            if path.suffix in (".py", ".md") and path.resolve() != Path(__file__).resolve():
                yield path


def _anchors() -> set[str]:
    """GitHub's heading anchors of docs/models.md."""
    titles = re.findall(r"^#+ (.+)$", REFERENCE.read_text(), flags=re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", title.strip().lower()).replace(" ", "-") for title in titles}


def test_citations_of_the_model_reference_resolve_in_docs_models_md():
    anchors = _anchors()
    assert {"vicsek-checked-numbers", "scoring-emergence", "commons-logistic-regrowth"} <= anchors
    problems = []
    for path in _files():
        text = path.read_text(encoding="utf-8", errors="replace")
        where = path.relative_to(ROOT)
        if "../" + "shared" in text or re.search(r"(?<![\w.])shared/", text):
            problems.append(f"{where}: cites the shared folder")
        for prefix, anchor in CITATION.findall(text):
            inside_docs = path.parent == REFERENCE.parent and prefix in ("", "./")
            if not (prefix.endswith("docs/") or inside_docs):
                problems.append(f"{where}: cites {prefix}models.md{anchor}, not docs/models.md")
            if anchor and anchor[1:] not in anchors:
                problems.append(f"{where}: docs/models.md has no anchor {anchor}")
    assert not problems, "\n".join(problems)
