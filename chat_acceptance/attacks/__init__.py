"""Attacks: what an attacker or a buggy client sends, and what an answer must not show. Pure generators and
detectors (forged and expired tokens, look-alike and near-miss streaming session IDs, malformed bodies, the
attacker's text, the search for a leaked ID in any encoding) that know nothing else of the suite: they take
strings and give strings, so each is tested on its own and reused by any step, invariant or load profile."""
