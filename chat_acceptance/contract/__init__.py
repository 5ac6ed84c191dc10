"""Conformance of every answer the platform gives to its HTTP contract, contract/openapi.yaml: the checker
(checker.py) and the one-line description of a violation (violation.py).
"""
