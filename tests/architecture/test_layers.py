"""The layers of ARCHITECTURE.md hold: import-linter's contracts (pyproject.toml) for the packages, and a look at
the imports of features/ (steps and hooks are not a package)."""

import ast
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("chat_acceptance", "reference_services", "suite_tools")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint_imports(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(root / "pyproject.toml"), "--no-cache"],
        cwd=root,
        env={"PYTHONPATH": str(root), "PATH": str(LINT_IMPORTS.parent)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_every_import_contract_is_kept():
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "0 broken" in result.stdout


def test_a_support_library_that_imports_the_platform_breaks_a_contract(tmp_path):
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    with (tmp_path / "chat_acceptance" / "waiting.py").open("a") as module:
        module.write("\nimport reference_services.faults  # noqa: E402\n")
    result = _lint_imports(tmp_path)
    assert result.returncode != 0
    assert "The support library knows the platform only through the contract BROKEN" in result.stdout


def _imported_modules(path: Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            modules |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
    return modules


def test_steps_call_only_the_support_library():
    steps = sorted((ROOT / "features" / "steps").glob("*.py"))
    assert steps
    sibling = {path.stem for path in steps}
    for path in steps:
        for module in _imported_modules(path):
            top = module.split(".")[0]
            allowed = top in sys.stdlib_module_names or top in {"chat_acceptance", "behave", "parse", *sibling}
            assert allowed, f"{path.name} imports {module}"


def test_hooks_reach_the_reference_platform_only_through_the_tools_that_start_it():
    modules = _imported_modules(ROOT / "features" / "environment.py")
    assert not any(module.startswith("reference_services") for module in modules)
    assert {module for module in modules if module.startswith("suite_tools")} <= {"suite_tools.suite_runs"}


def test_the_root_holds_no_python_module():
    assert sorted(path.name for path in ROOT.glob("*.py")) == []
