"""Checks: every Then's logic, each predicate defined once. Matchers (PyHamcrest, one line that says what the
platform did), expectations (what a Then step asserts), the invariants that every exchange of every scenario
must keep (no leaked ID, a refusal changes nothing, identity only from the token, CORS) and the consequences a
refusal is compared with. Checks judge what the world and its actors hold; they import them for type hints only."""
