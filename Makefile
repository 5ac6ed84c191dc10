# The README's two commands are `make acceptance` and `make test`; each creates .venv and installs first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
# Extra arguments for behave, e.g. make acceptance BEHAVE_ARGS="--tags=@core -D stream_deadline=60"
BEHAVE_ARGS ?=

.PHONY: acceptance test faults report install clean

install: $(INSTALLED)

$(INSTALLED): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	@touch $@

# The whole suite, against the embedded reference platform or the deployment named by AUTH_SERVICE_URL,
# ACCOUNTING_SERVICE_URL and CHAT_SERVICE_URL; then the HTML report. Exits with the suite's status.
acceptance: $(INSTALLED)
	@rm -rf reports/allure-results reports/junit
	@status=0; $(BIN)/behave $(BEHAVE_ARGS) || status=$$?; \
	$(BIN)/python -m chat_acceptance.html_report; \
	exit $$status

# Every test: the support library, the reference platform, the contract, the reports, the suite itself and
# the fault matrix (tests/meta), on every core.
test: $(INSTALLED)
	$(BIN)/python -m pytest -n auto

# The fault matrix as a table: each switch, the expected and the actual verdict, the failing scenario, time.
faults: $(INSTALLED)
	$(BIN)/python -m fault_matrix

# The single-file HTML report from reports/allure-results (make acceptance builds it too).
report: $(INSTALLED)
	$(BIN)/python -m chat_acceptance.html_report

clean:
	rm -rf $(VENV) reports node_modules
