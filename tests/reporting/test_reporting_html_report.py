"""python -m chat_acceptance.reporting.html_report: one line, a report or a stated reason, never a hang."""

import base64
import json
import re
import shutil
import stat

import pytest

from chat_acceptance.reporting import html_report

needs_node = pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed: Allure 3 cannot run")


def write_result(results, name, status, message=None):
    result = {
        "uuid": name,
        "name": name,
        "fullName": f"Reports: {name}",
        "historyId": name,
        "status": status,
        "start": 1_700_000_000_000,
        "stop": 1_700_000_000_100,
        "labels": [{"name": "feature", "value": "Reports"}],
    }
    if message:
        result["statusDetails"] = {"message": message}
    (results / f"{name}-result.json").write_text(json.dumps(result))


@pytest.fixture
def results(tmp_path):
    results = tmp_path / "allure-results"
    results.mkdir()
    write_result(results, "passes", "passed")
    write_result(
        results, "refused", "failed", "AssertionError: expected the request to be refused as forbidden, got 200\n"
    )
    write_result(results, "down", "broken", "ServiceUnavailable: the chat service is unavailable\n")
    return results


def fake_command(directory, name, script):
    directory.mkdir(exist_ok=True)
    path = directory / name
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


def embedded(index, name):
    """One data file of the single-file report (Allure 3.18 embeds them base64-encoded)."""
    match = re.search(rf'"{re.escape(name)}","([A-Za-z0-9+/=]*)"', index.read_text())
    return json.loads(base64.b64decode(match[1]))


@needs_node
def test_generates_a_single_file_report_with_categories_and_history(results, tmp_path, capsys):
    output = tmp_path / "allure-report"

    assert html_report.main(["--results", str(results), "--output", str(output)]) == 0
    assert html_report.main(["--results", str(results), "--output", str(output)]) == 0

    index = output / "index.html"
    assert capsys.readouterr().out.splitlines() == [f"HTML report: {index}"] * 2
    categories = embedded(index, "widgets/categories.json")
    names = {node["name"] for node in categories["nodes"].values() if node["type"] == "category"}
    assert names == {"Access control broken", "Service unavailable"}
    assert len((tmp_path / "allure-history.jsonl").read_text().splitlines()) == 2  # one line per run: trends


def test_without_node_it_says_so_and_succeeds(results, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))

    assert html_report.main(["--results", str(results), "--output", str(tmp_path / "report")]) == 0
    assert (
        capsys.readouterr().out == "HTML report skipped: Node.js is not installed (Allure 3 needs Node.js >= 20.19)\n"
    )


def test_with_an_old_node_it_says_so_and_succeeds(results, tmp_path, monkeypatch, capsys):
    fake_command(tmp_path / "bin", "node", "echo v18.19.1\n")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))

    assert html_report.main(["--results", str(results), "--output", str(tmp_path / "report")]) == 0
    assert capsys.readouterr().out == (
        "HTML report skipped: Node.js 18.19 is too old (Allure 3 needs Node.js >= 20.19)\n"
    )


def test_without_results_generation_fails(tmp_path, capsys):
    assert html_report.main(["--results", str(tmp_path / "nothing"), "--output", str(tmp_path / "report")]) == 1
    assert capsys.readouterr().out.startswith("HTML report not generated: no Allure results in ")


def test_a_failing_npm_ci_is_one_line(results, tmp_path, monkeypatch, capsys):
    fake_command(tmp_path / "bin", "node", "echo v20.20.2\n")
    fake_command(tmp_path / "bin", "npm", "echo 'npm error network request failed' >&2\nexit 1\n")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    monkeypatch.setattr(html_report, "ALLURE_CLI", tmp_path / "node_modules" / "allure" / "cli.js")

    assert html_report.main(["--results", str(results), "--output", str(tmp_path / "report")]) == 1
    assert capsys.readouterr().out == (
        "HTML report not generated: npm ci failed with exit status 1: npm error network request failed\n"
    )


def test_a_hanging_generation_is_cut_off(results, tmp_path, monkeypatch, capsys):
    # The fake node answers --version, then hangs in a child that holds the output pipe open.
    hang = f"{shutil.which('sleep')} 60 & wait"
    fake_command(tmp_path / "bin", "node", f'if [ "$1" = --version ]; then echo v20.20.2; exit 0; fi\n{hang}\n')
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    monkeypatch.setattr(html_report, "GENERATE_TIMEOUT_S", 0.5)

    assert html_report.main(["--results", str(results), "--output", str(tmp_path / "report")]) == 1
    assert capsys.readouterr().out == "HTML report not generated: allure generate did not finish within 0.5 s\n"


def test_an_earlier_report_never_survives_a_run_without_results(tmp_path, capsys):
    output = tmp_path / "report"
    output.mkdir()
    (output / "index.html").write_text("<html>62 of 62 passed</html>")
    (tmp_path / "results").mkdir()
    assert html_report.main(["--results", str(tmp_path / "results"), "--output", str(output)]) == 1
    assert not (output / "index.html").exists()
