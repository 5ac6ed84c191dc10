# The README's two commands are `make acceptance` and `make test`; each creates .venv and installs first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
# Extra arguments for behave, e.g. make acceptance BEHAVE_ARGS="--tags=@core -D stream_deadline=60"
BEHAVE_ARGS ?=
# Parallel behave processes for `make acceptance` (behavex; one platform for the whole run). 1 = plain behave.
JOBS ?= 1
# SHARD=K/N: run only shard K of N of the scenarios (a CI matrix job; suite_tools/shards.py deals them out
# deterministically, every scenario in exactly one shard). No HTML report: the job that merges the shards
# (python -m suite_tools.shards merge ...; make report) builds one report and one history.
SHARD ?=
# How behavex shares out the run when JOBS > 1: feature (one set-up per feature: the fastest here) or scenario.
SCHEME ?= feature
# `make load`: Locust users, their spawn rate (users/s), the run time, uvicorn workers per service, and Locust
# worker processes (0: one Locust process; N: a master and N workers on this machine).
LOAD_USERS ?= 20
LOAD_SPAWN_RATE ?= 50
LOAD_RUN_TIME ?= 20s
LOAD_WORKERS ?= 2
LOCUST_WORKERS ?= 0

# Known defects: written by `make baseline`, used by `make acceptance` when present; empty: the baseline setting
# (acceptance-baseline.json, docs/configuration.md).
BASELINE ?=
# PROFILE=staging: the deployment of profiles/staging.toml (or a path to a profile); empty: the embedded platform.
PROFILE ?=
# What acceptance and baseline hand to the one command (suite_tools/cli.py, installed as chat-acceptance).
RUN_OPTIONS = $(if $(PROFILE),--profile $(PROFILE)) $(if $(BASELINE),-D baseline=$(BASELINE))

.PHONY: check lint help acceptance baseline test faults report bench load install docs clean

# The first target, so that a bare `make` lists the others: every target line with a `## ` comment.
help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z][a-z-]*:.*## / {printf "  make %-11s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

install: $(INSTALLED) ## create .venv and install the suite with its development tools

$(INSTALLED): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	@touch $@

# The whole suite, against the embedded reference platform, the deployment of PROFILE, or the one named by
# AUTH_SERVICE_URL, ACCOUNTING_SERVICE_URL and CHAT_SERVICE_URL; then the HTML report. Exits with the suite's status.
# JOBS=2: behavex runs it in 2 processes (BEHAVE_ARGS then go to behavex: --tags, -D, --name...), all writing
# to reports/allure-results, so the HTML report is one report over the whole run.
# With $(BASELINE) present, the exit status is the baseline's verdict: a failure it does not know, or a known
# one that now passes, fails the run; known defects failing again do not (behave's own status stays as it is).
acceptance: $(INSTALLED) ## run the whole suite, then the HTML report (PROFILE=name, JOBS=2 parallel, SHARD=K/N)
	$(BIN)/chat-acceptance run $(RUN_OPTIONS) --jobs $(JOBS) --scheme $(SCHEME) $(if $(SHARD),--shard $(SHARD)) $(BEHAVE_ARGS)

# Records today's failures as known defects in $(BASELINE), for the team to commit; later `make acceptance`
# runs fail only on what changed. Fails (and records nothing) when the run stops in set-up.
baseline: $(INSTALLED) ## record today's failures as known defects in acceptance-baseline.json
	$(BIN)/chat-acceptance baseline $(RUN_OPTIONS) $(BEHAVE_ARGS)

# Every test: the support library, the reference platform, the contract, the reports, the suite itself and
# the fault matrix (tests/meta). Four pytest workers on two cores: most meta-tests wait on streams, pacing and
# deadlines rather than compute, so two workers per core finish sooner without crowding the timed ones.
# --dist loadgroup: tests are handed out one (or one xdist_group) at a time as workers free up, the longest first
# (tests/conftest.py); in xdist's default chunks, the slow tests, collected together, went to one worker. A group
# keeps the tests that share an expensive module fixture on one worker, so that it is made once.
TEST_WORKERS ?= 4
test: $(INSTALLED) ## every test: library, platform, contract, reports, docs, CI templates, fault matrix
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup

# The fast tier: every test not marked slow (tests/conftest.py says which are), in under a minute.
check: $(INSTALLED) ## the fast tier of the tests (no suite runs, no processes, no HTML report): under a minute
	$(BIN)/python -m pytest -n $(TEST_WORKERS) -m "not slow" -q

# Lint, format and types as pyproject.toml configures them: ruff over the repository, mypy strict on the library,
# and the import layers. `make test` (and `make check`) run the same: tests/architecture/test_tooling.py, test_layers.py.
# Every tool runs, so that one look shows every problem; the target fails when any of them did.
lint: $(INSTALLED) ## ruff check, ruff format --check, mypy (strict, the library) and the import layers
	@status=0; \
	$(BIN)/ruff check . || status=1; \
	$(BIN)/ruff format --check . || status=1; \
	$(BIN)/mypy || status=1; \
	$(BIN)/lint-imports || status=1; \
	exit $$status

# The fault matrix as a table: each switch, the expected and the actual verdict, the failing scenario, time.
faults: $(INSTALLED) ## the fault matrix as a table: each switch, expected and actual verdict
	$(BIN)/python -m suite_tools.fault_matrix

# The single-file HTML report and reports/promises.md from reports/allure-results (make acceptance builds them too).
report: $(INSTALLED) ## rebuild the HTML report and reports/promises.md from the last results
	$(BIN)/chat-acceptance report

# Speed on the embedded platform: start-up, each scenario beside its streaming floor, the suite serial and
# parallel (behavex, one process per core); fails when a target is missed.
bench: $(INSTALLED) ## speed figures on the embedded platform; fails when a target is missed
	$(BIN)/python -m suite_tools.bench

# A short, bounded Locust run against the reference platform served by uvicorn workers: accounts prepared before
# the measured phase, invariants under load, everything removed after it (LOCUST_WORKERS=2: master + 2 workers).
load: $(INSTALLED) ## a short, bounded Locust run against the reference platform
	$(BIN)/python -m suite_tools.load_run --users $(LOAD_USERS) --spawn-rate $(LOAD_SPAWN_RATE) --run-time $(LOAD_RUN_TIME) --workers $(LOAD_WORKERS) --locust-workers $(LOCUST_WORKERS)

# The documentation site from docs/ and mkdocs.yml, into site/; strict: a broken link or page fails it.
docs: $(INSTALLED) ## build the documentation site into site/ (strict)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site

clean: ## remove .venv, reports/, site/ and the report's node_modules
	rm -rf $(VENV) reports site reporting/node_modules
