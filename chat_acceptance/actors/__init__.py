"""Actors: the people of the scenarios. A person signs in (and renews her token before it expires), asks for
replies, confirms them, reads her conversations and balance, and claims nothing but what her token says; the
credit bank keeps the paying personas able to pay. Actors act through the transport and assert only what their
Givens need (a sign-in that works, a reply that arrived); the promises are the checks' to judge."""
