"""The tools around the suite: how it is run, the fault matrix, parallel runs, speed figures and load.

Each runs as `python -m suite_tools.<tool>` (see the Makefile)."""
