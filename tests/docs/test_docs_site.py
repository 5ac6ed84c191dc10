"""The documentation: a README read in five minutes, a site that builds strictly (mkdocs, Material), `make help`,
and Markdown whose every link resolves to a file inside the repository."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote

import pytest
from markdown_it import MarkdownIt

ROOT = Path(__file__).resolve().parents[2]
README_WORD_LIMIT = 1200
# Folders that hold no documentation of the repository: tools' and runs' output, installed packages.
NOT_DOCUMENTATION = {"node_modules", "site", "reports", "build"}


def _markdown_files() -> list[Path]:
    files = []
    for folder, subfolders, names in os.walk(ROOT):
        subfolders[:] = [
            name
            for name in subfolders
            if not name.startswith(".") and name not in NOT_DOCUMENTATION and not name.endswith(".egg-info")
        ]
        files += [Path(folder) / name for name in names if name.endswith(".md")]
    return sorted(files)


def _links(markdown: str) -> list[str]:
    """Every link and image target, as a Markdown parser reads them (code spans and blocks hold none)."""
    targets = []
    for token in MarkdownIt("commonmark").enable("table").parse(markdown):
        for child in token.children or []:
            if child.type == "link_open":
                targets.append(child.attrs["href"])
            elif child.type == "image":
                targets.append(child.attrs["src"])
    return targets


def broken_links(path: Path, markdown: str) -> list[str]:
    """The links of a Markdown file at `path` that leave the repository or name a file that is not there."""
    broken = []
    for target in _links(markdown):
        if re.match(r"[a-z][a-z0-9+.-]*:|//", target, re.I):
            broken.append(f"{target}: leaves the repository")
            continue
        relative = unquote(target.split("#", 1)[0].split("?", 1)[0])
        if not relative:
            continue  # a heading of the same page
        resolved = (path.parent / relative).resolve()
        if target.startswith("/") or not resolved.is_relative_to(ROOT):
            broken.append(f"{target}: leaves the repository")
        elif not resolved.exists():
            broken.append(f"{target}: no such file")
    return broken


def test_the_markdown_files_include_the_readme_the_docs_and_the_architecture():
    found = {path.relative_to(ROOT).as_posix() for path in _markdown_files()}
    assert {"README.md", "ARCHITECTURE.md", "docs/index.md", "contract/contract.md"} <= found
    assert not any(name.startswith((".venv/", "reporting/node_modules/")) for name in found)


@pytest.mark.parametrize("path", _markdown_files(), ids=lambda path: path.relative_to(ROOT).as_posix())
def test_every_link_resolves_inside_the_repository(path):
    assert broken_links(path, path.read_text()) == []


def test_a_link_outside_the_repository_or_to_a_missing_file_is_caught():
    markdown = (
        "[the contract](../../shared/contract.md) [gone](gone.md) [web](https://example.com/x) "
        "[abs](/etc/passwd) `[in code](gone.md)` [here](#top) [real](index.md#where-to-go)"
    )
    assert broken_links(ROOT / "docs" / "a-page.md", markdown) == [
        "../../shared/contract.md: leaves the repository",
        "gone.md: no such file",
        "https://example.com/x: leaves the repository",
        "/etc/passwd: leaves the repository",
    ]


def test_the_readme_reads_in_five_minutes():
    words = len((ROOT / "README.md").read_text().split())
    assert words <= README_WORD_LIMIT, f"README.md has {words} words; at most {README_WORD_LIMIT}: move detail to docs/"


def test_the_readme_gives_the_commands_the_report_the_warning_and_the_way_into_the_docs():
    readme = (ROOT / "README.md").read_text()
    for needed in (
        "make acceptance",
        "make test",
        "--profile staging",
        "reports/allure-report/index.html",
        "staging",
        "never at production",
    ):
        assert needed in readme, needed
    linked = {target.split("#")[0] for target in _links(readme)}
    assert {"docs/getting-started.md", "docs/deployment.md", "docs/ci.md", "docs/reports.md"} <= linked


# The repository's own history has no place in documentation of the product (the contract is quoted as it is).
HISTORY = re.compile(r"\bissues? \d|\banother branch\b|\bother sessions\b|\bthe seed's\b|\.\./shared\b", re.I)


@pytest.mark.parametrize(
    "path",
    [path for path in _markdown_files() if path != ROOT / "contract" / "contract.md"],
    ids=lambda path: path.relative_to(ROOT).as_posix(),
)
def test_the_documentation_speaks_of_the_product_not_of_its_history(path):
    assert HISTORY.findall(path.read_text()) == []


# ---------------------------------------------------------------------------------------------------- the site


def _build(config: Path, site: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file", str(config), "--site-dir", str(site)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )


def test_the_site_builds_strictly_with_every_page(tmp_path):
    result = _build(ROOT / "mkdocs.yml", tmp_path / "site")
    assert result.returncode == 0, result.stderr
    built = {path.relative_to(tmp_path / "site").as_posix() for path in (tmp_path / "site").rglob("index.html")}
    pages = {page.stem for page in (ROOT / "docs").glob("*.md")} - {"index"}
    assert built == {"index.html"} | {f"{page}/index.html" for page in pages}
    # The pages that show a file of the repository include it: the architecture's rules, the contract's text.
    assert "What may import what" in (tmp_path / "site" / "architecture" / "index.html").read_text()
    assert "X-Streaming-Session-Id" in (tmp_path / "site" / "contract" / "index.html").read_text()


@pytest.mark.parametrize(
    ("page", "text"),
    [
        ("a-page-outside-the-nav.md", "# Orphan\n"),
        ("index.md", "# Home\n\n[gone](no-such-page.md)\n"),
        ("index.md", "# Home\n\n[gone](ci.md#no-such-heading)\n"),
    ],
    ids=["page outside the nav", "missing page", "missing heading"],
)
def test_a_strict_build_fails_on_a_page_outside_the_nav_or_a_broken_link(tmp_path, page, text):
    copy = tmp_path / "repo"
    shutil.copytree(ROOT / "docs", copy / "docs")
    (copy / "contract").mkdir()
    for kept in ("mkdocs.yml", "ARCHITECTURE.md", "contract/contract.md"):
        shutil.copy(ROOT / kept, copy / kept)
    (copy / "docs" / page).write_text(text)
    result = _build(copy / "mkdocs.yml", tmp_path / "site")
    assert result.returncode == 1 and "Aborted with" in result.stderr + result.stdout


# ------------------------------------------------------------------------------------------------- make help


def test_make_help_lists_every_target_on_one_screen():
    makefile = (ROOT / "Makefile").read_text()
    targets = set(re.findall(r"^([a-z][a-z-]*):", makefile, re.M))
    result = subprocess.run(
        ["make", "--no-print-directory", "help"], cwd=ROOT, capture_output=True, text=True, timeout=30
    )
    lines = result.stdout.splitlines()
    assert result.returncode == 0 and len(lines) <= 24
    listed = {re.match(r"\s+make (\S+)\s+\S", line)[1] for line in lines}
    assert listed == targets
