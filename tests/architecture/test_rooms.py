"""The library's rooms stay small and their doors plain: no module over 500 lines, no `__init__.py` with logic
(ARCHITECTURE.md)."""

import ast
from pathlib import Path

import pytest

LIBRARY = Path(__file__).resolve().parents[2] / "chat_acceptance"
MODULES = sorted(LIBRARY.rglob("*.py"))
MOST_LINES = 500


@pytest.mark.parametrize("module", MODULES, ids=lambda path: str(path.relative_to(LIBRARY)))
def test_no_library_module_is_over_500_lines(module):
    lines = len(module.read_text(encoding="utf-8").splitlines())
    assert lines <= MOST_LINES, f"{module.relative_to(LIBRARY)} has {lines} lines: split it by job"


@pytest.mark.parametrize(
    "package", [path for path in MODULES if path.name == "__init__.py"], ids=lambda path: str(path.parent.name)
)
def test_no_init_holds_logic(package):
    body = ast.parse(package.read_text(encoding="utf-8")).body
    docstring_only = all(isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) for node in body)
    assert docstring_only, f"{package.relative_to(LIBRARY)} holds more than its docstring"
