"""chat_acceptance.actors.credits: the price of a reply learned from balances, top-ups before a reply a persona
could not pay for, a ceiling per run, and one line for a deployment where nobody may allocate."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from chat_acceptance.actors.credits import CannotPay, CreditBank


class Wallet:
    """A persona on a deployment whose replies cost `price` (never below zero), and an allocation route."""

    def __init__(self, name="Alice", balance=0, price=50):
        self.name, self.user_id, self.credits, self.price = name, f"id-{name}", balance, price
        self.reads = 0

    def balance(self):
        self.reads += 1
        return self.credits

    def reply(self, bank):
        bank.before_stream(self)
        streamed = self.credits > 0  # the deployment's 402 otherwise
        if streamed:
            self.credits = max(0, self.credits - self.price)
        bank.after_stream(self, streamed)
        return streamed


def granting(wallets, status=201):
    grants = []

    def grant(user_id, credits):
        grants.append((user_id, credits))
        if status == 201:
            next(wallet for wallet in wallets if wallet.user_id == user_id).credits += credits
        return SimpleNamespace(status=status, request="POST /api/credits/allocate")

    return grant, grants


def test_a_persona_who_cannot_pay_is_topped_up_before_the_stream_and_the_price_is_learned():
    alice = Wallet(balance=120, price=50)
    grant, grants = granting([alice])
    bank = CreditBank(ceiling=100_000, grant=grant, granter="the administrator")
    assert all(alice.reply(bank) for _ in range(30))  # 30 replies cost 1500: far more than she had
    assert bank.price == 50 and grants and sum(credits for _, credits in grants) == bank.on_demand
    assert bank.granted == {"Alice": bank.on_demand} and len(grants) <= 3  # grants pay for many replies each
    assert alice.reads < 30  # balances are read while learning and when the estimate runs low, not every time
    assert "a reply costs up to 50 credits" in bank.summary() and f"granted {bank.on_demand} credits" in bank.summary()


def test_a_reply_that_takes_all_there_was_is_not_taken_for_the_price():
    alice = Wallet(balance=10, price=600)  # a reply costs more than she has: the charge stops at zero
    grant, _ = granting([alice])
    bank = CreditBank(ceiling=100_000, grant=grant, granter="the administrator")
    assert all(alice.reply(bank) for _ in range(5))
    assert bank.price == 600


def test_the_ceiling_stops_the_grants_with_a_reason():
    alice = Wallet(balance=0, price=50)
    grant, _ = granting([alice])
    bank = CreditBank(ceiling=60, grant=grant, granter="the administrator")
    with pytest.raises(CannotPay, match=r"credits ceiling of 60 \(-D credits_ceiling\) is spent"):
        for _ in range(10):
            alice.reply(bank)
    assert bank.on_demand <= 60


def test_a_deployment_where_nobody_may_allocate_gets_one_line_and_no_more_attempts():
    alice = Wallet(balance=0)
    grant, grants = granting([alice], status=403)
    bank = CreditBank(ceiling=100_000, grant=grant, granter="the administrator")
    for _ in range(3):
        with pytest.raises(CannotPay) as refused:
            alice.reply(bank)
    assert len(grants) == 1  # asked once; later scenarios get the same line at once
    assert str(refused.value) == (
        "credits on demand: the administrator may not allocate credits on this deployment (POST /api/credits/allocate "
        "answered 403), so replies that need more credits are not checked"
    )
    assert str(refused.value) in bank.summary()


def test_without_an_administrator_or_supervisor_nothing_is_granted():
    bank = CreditBank(ceiling=100_000, grant=None, granter=None)
    with pytest.raises(CannotPay, match="no administrator or supervisor is configured"):
        Wallet(balance=0).reply(bank)
    assert Wallet(balance=500).reply(bank)  # a persona who can pay needs nobody


def test_set_up_grants_count_too():
    bank = CreditBank(ceiling=0, grant=None, granter=None)
    bank.record_grant("Alice", 5000)
    bank.record_grant("Bob", 5000)
    assert bank.granted_line() == "10000 credits granted to Alice, Bob"
    assert "the run granted 10000 credits (Alice 5000, Bob 5000), 0 of them on demand" in bank.summary()
