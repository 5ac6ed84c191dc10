"""The suite's configuration: every setting declared once, as a `setting(...)` field of SuiteConfig
(suite_config.py, declared as declaration.py says), whose text converts by its kind (kinds.py) and whose value
comes from the sources, later ones winning (sources.py: the default, a profile, the environment, `-D`).
"""
