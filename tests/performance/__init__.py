"""The performance tooling's tests (bench, parallel_suite, locustfile, load_run).

These tests check what the tools do and compute, never how fast anything is: the speed checks are `make bench`.
"""
