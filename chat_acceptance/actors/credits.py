"""Credits on demand: the run's personas can always pay for the next reply, whatever a deployment charges.

The contract fixes no price. So the bank learns what a reply costs from the balance before and after the first
streams, keeps an estimate of each persona's balance, and, before a stream she could not pay for, has the
administrator (or the supervisor) allocate more through the contract's allocation route, up to a ceiling per run
(`-D credits_ceiling`). Every grant is counted for the run's summary: the contract has no route to take credits
back, so they are what a run leaves behind.

A deployment where no configured account may allocate gets one line, once; the scenarios that then cannot pay
are not checked (CannotPay), never failed in a Given.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from chat_acceptance.transport.exchange import ApiResponse

PRICE_SAMPLES = 3  # streams measured before and after, until one shows what a reply costs
MARGIN = 2  # top up when the estimate would not pay for this many replies
REPLIES_PER_GRANT = 20  # a grant pays for this many replies, so that grants are rare


class NotCheckable(Exception):
    """A promise this deployment does not let the run check; the scenario is reported NOT CHECKED with the reason
    (features/environment.py), never as failed or passed."""


class CannotPay(NotCheckable):
    """A persona cannot pay for a reply and the run may not, or cannot, give her credits."""


class Payer(Protocol):
    name: str

    @property
    def user_id(self) -> str: ...

    def balance(self) -> float: ...


class CreditBank:
    def __init__(self, *, ceiling: int, grant: Callable[[str, int], ApiResponse] | None, granter: str | None):
        """`grant(user_id, credits)` allocates as `granter` (the administrator or the supervisor); None: nobody."""
        self.ceiling = ceiling
        self._grant = grant
        self.granter = granter
        self.price: float | None = None  # the most a reply was seen to cost
        self.granted: dict[str, int] = {}  # persona -> credits granted by the run (set-up and on demand)
        self.on_demand = 0  # of which on demand, against the ceiling
        self.refusal: str | None = None  # the one line when granting is impossible
        self._estimates: dict[str, float] = {}
        self._before: dict[str, float] = {}
        self._samples = 0

    def record_grant(self, persona: str, credits: int) -> None:
        self.granted[persona] = self.granted.get(persona, 0) + credits

    def before_stream(self, person: Payer) -> None:
        """Called before `person` streams: measures the price on the first streams, tops her up when needed."""
        learning = self._samples < PRICE_SAMPLES
        known = None if learning else self._estimates.get(person.name)
        read = known is None
        estimate = person.balance() if known is None else known
        need = MARGIN * self.price if self.price else 1
        if estimate < need:
            if not read:  # the estimate may be stale (a late charge, another allocation)
                estimate = person.balance()
            if estimate < need:
                estimate += self._top_up(person, need, estimate)
        self._estimates[person.name] = estimate
        if learning:
            self._before[person.name] = estimate

    def after_stream(self, person: Payer, streamed: bool) -> None:
        """Called after `person`'s stream; `streamed`: it was a reply (200), which the deployment charges."""
        before = self._before.pop(person.name, None)
        if not streamed:
            return
        if before is not None:
            after = person.balance()
            if after > 0:
                self._samples += 1
                if after < before:
                    self.price = max(self.price or 0, before - after)
            else:  # the reply took all there was: it costs at least that much, and the next stream measures again
                self.price = max(self.price or 0, before) or None
            self._estimates[person.name] = after
        elif person.name in self._estimates:
            self._estimates[person.name] -= self.price or 0

    def _top_up(self, person: Payer, need: float, balance: float) -> int:
        if self.refusal is not None:
            raise CannotPay(self.refusal)
        amount = int(max(need, (self.price or 1) * REPLIES_PER_GRANT) - min(balance, 0) + 1)
        left = self.ceiling - self.on_demand
        if self._grant is None:
            self.refusal = (
                f"{person.name} cannot pay for a reply (balance {balance:g}) and no administrator or supervisor is "
                "configured to allocate credits"
            )
            raise CannotPay(self.refusal)
        if left < need:
            raise CannotPay(
                f"{person.name} cannot pay for a reply (balance {balance:g}, a reply costs about {self.price or 0:g}) "
                f"and the run's credits ceiling of {self.ceiling} (-D credits_ceiling) is spent"
            )
        amount = min(amount, left)
        answer = self._grant(person.user_id, amount)
        if answer.status != 201:
            raise CannotPay(self.refused(answer))
        self.on_demand += amount
        self.record_grant(person.name, amount)
        return amount

    def granted_line(self) -> str | None:
        total = sum(self.granted.values())
        return f"{total} credits granted to {', '.join(sorted(self.granted))}" if total else None

    def refused(self, answer: ApiResponse) -> str:
        """Records that the granter may not allocate here; returns the one line that says so."""
        self.refusal = (
            f"credits on demand: {self.granter} may not allocate credits on this deployment "
            f"({answer.request} answered {answer.status}), so replies that need more credits are not checked"
        )
        return self.refusal

    def summary(self) -> str:
        price = f"a reply costs up to {self.price:g} credits" if self.price else "the price of a reply was not seen"
        given = ", ".join(f"{name} {credits}" for name, credits in sorted(self.granted.items())) or "none"
        line = (
            f"credits: {price}; the run granted {sum(self.granted.values())} credits ({given}), {self.on_demand} of "
            f"them on demand (ceiling {self.ceiling}, -D credits_ceiling)"
        )
        return line + (f"; {self.refusal}" if self.refusal else "")
