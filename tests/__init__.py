"""The pytest tests, a package tree so that tests import their kits by full name (tests.<folder>.<kit>)."""
