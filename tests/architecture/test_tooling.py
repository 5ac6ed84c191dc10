"""Lint, format and types hold, as pyproject.toml configures them: ruff check and ruff format over the repository,
mypy strict on the library (`make lint` runs the same). A failure carries the tool's own output, which names
the file, the line and the rule. Then a look at the configuration itself: a long line, unsorted imports and an
untyped function in the library are each refused, so the settings cannot quietly loosen."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
TOOLS = {
    "ruff check": ["ruff", "check", "--no-cache", "."],
    "ruff format": ["ruff", "format", "--check", "--no-cache", "."],
    "mypy": ["mypy"],  # its files (the library) and strictness come from pyproject.toml
}


def _run(command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / command[0]), *command[1:]], cwd=cwd, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("tool", TOOLS)
def test_the_code_passes(tool):
    result = _run(TOOLS[tool], ROOT)
    assert result.returncode == 0, f"{tool} found problems (make lint shows them):\n{result.stdout}{result.stderr}"


def test_the_configuration_refuses_long_lines_unsorted_imports_and_untyped_library_code(tmp_path):
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    library = tmp_path / "chat_acceptance"
    library.mkdir()
    (library / "__init__.py").write_text(
        "import sys\nimport json\n\n\ndef untyped(value):\n    return json.dumps(value) + sys.version\n\n\n"
        f"LONG = {'x' * 120!r}\n"
    )
    linted = _run(TOOLS["ruff check"], tmp_path)
    assert linted.returncode != 0
    assert "E501" in linted.stdout and "I001" in linted.stdout
    typed = _run(["mypy", "--cache-dir", str(tmp_path / ".mypy_cache")], tmp_path)
    assert typed.returncode != 0
    assert "[no-untyped-def]" in typed.stdout
