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

# Known defects: written by `make baseline`, used by `make acceptance` when present (see README).
BASELINE := acceptance-baseline.json
OUTCOMES := reports/scenario-outcomes
# Absolute, because parallel runs start behave from a scratch directory.
BASELINE_DEFINES := -D baseline=$(CURDIR)/$(BASELINE) -D scenario_outcomes=$(CURDIR)/$(OUTCOMES)

.PHONY: acceptance baseline test faults report bench load install clean

install: $(INSTALLED)

$(INSTALLED): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	@touch $@

# The whole suite, against the embedded reference platform or the deployment named by AUTH_SERVICE_URL,
# ACCOUNTING_SERVICE_URL and CHAT_SERVICE_URL; then the HTML report. Exits with the suite's status.
# JOBS=2: behavex runs it in 2 processes (BEHAVE_ARGS then go to behavex: --tags, -D, --name...), all writing
# to reports/allure-results, so the HTML report is one report over the whole run.
# With $(BASELINE) present, the exit status is the baseline's verdict: a failure it does not know, or a known
# one that now passes, fails the run; known defects failing again do not (behave's own status stays as it is).
acceptance: $(INSTALLED)
	@rm -rf reports/allure-results reports/junit $(OUTCOMES)
	@status=0; shard=""; \
	if [ -n "$(SHARD)" ]; then shard=$$($(BIN)/python -m suite_tools.shards select "$(SHARD)") || exit 2; \
		[ "$(JOBS)" = 1 ] || { echo "SHARD and JOBS cannot be combined: a shard runs in one process"; exit 2; }; fi; \
	if [ "$(JOBS)" = 1 ]; then $(BIN)/behave $(BASELINE_DEFINES) $(BEHAVE_ARGS) $$shard || status=$$?; \
	else $(BIN)/python -m suite_tools.parallel_suite --jobs $(JOBS) --scheme $(SCHEME) $(BASELINE_DEFINES) $(BEHAVE_ARGS) \
	  || status=$$?; fi; \
	if [ -z "$(SHARD)" ]; then $(BIN)/python -m chat_acceptance.reporting.findings --outcomes $(OUTCOMES); \
	  $(BIN)/python -m chat_acceptance.reporting.promise_table; \
	  $(BIN)/python -m chat_acceptance.reporting.html_report; \
	else echo "shard $(SHARD): reports/allure-results and reports/junit (merge the shards for the HTML report)"; fi; \
	if [ -f "$(BASELINE)" ]; then \
	  $(BIN)/python -m chat_acceptance.reporting.baseline check --outcomes $(OUTCOMES) --baseline $(BASELINE) \
	    --behave-status $$status; status=$$?; \
	fi; \
	exit $$status

# Records today's failures as known defects in $(BASELINE), for the team to commit; later `make acceptance`
# runs fail only on what changed. Fails (and records nothing) when the run stops in set-up.
baseline: $(INSTALLED)
	@rm -rf reports/allure-results reports/junit $(OUTCOMES)
	@status=0; $(BIN)/behave $(BASELINE_DEFINES) -D baseline= $(BEHAVE_ARGS) || status=$$?; \
	$(BIN)/python -m chat_acceptance.reporting.baseline record --outcomes $(OUTCOMES) --baseline $(BASELINE) \
	  --behave-status $$status

# Every test: the support library, the reference platform, the contract, the reports, the suite itself and
# the fault matrix (tests/meta). Four pytest workers on two cores: most meta-tests wait on streams, pacing and
# deadlines rather than compute, so two workers per core finish sooner without crowding the timed ones.
TEST_WORKERS ?= 4
test: $(INSTALLED)
	$(BIN)/python -m pytest -n $(TEST_WORKERS)

# The fault matrix as a table: each switch, the expected and the actual verdict, the failing scenario, time.
faults: $(INSTALLED)
	$(BIN)/python -m suite_tools.fault_matrix

# The single-file HTML report and reports/promises.md from reports/allure-results (make acceptance builds them too).
report: $(INSTALLED)
	$(BIN)/python -m chat_acceptance.reporting.promise_table
	$(BIN)/python -m chat_acceptance.reporting.html_report

# Speed on the embedded platform: start-up, each scenario beside its streaming floor, the suite serial and
# parallel (behavex, one process per core); fails when a target is missed.
bench: $(INSTALLED)
	$(BIN)/python -m suite_tools.bench

# A short, bounded Locust run against the reference platform served by uvicorn workers: accounts prepared before
# the measured phase, invariants under load, everything removed after it (LOCUST_WORKERS=2: master + 2 workers).
load: $(INSTALLED)
	$(BIN)/python -m suite_tools.load_run --users $(LOAD_USERS) --spawn-rate $(LOAD_SPAWN_RATE) --run-time $(LOAD_RUN_TIME) --workers $(LOAD_WORKERS) --locust-workers $(LOCUST_WORKERS)

clean:
	rm -rf $(VENV) reports reporting/node_modules
