"""What lasts for the whole run (Suite): the configuration, the platform client, the personas' sign-ins, the
credit bank, the pool near misses go out from, and what the run created and must remove. Runners build and
set it up with chat_acceptance.world.build."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from chat_acceptance.actors.credits import CreditBank
from chat_acceptance.actors.people import Credentials, Person, SignedIn
from chat_acceptance.attacks.leaks import IdSamples
from chat_acceptance.config.suite_config import Account, SuiteConfig
from chat_acceptance.transport.client import PlatformClient
from chat_acceptance.world.leftovers import Leftovers

# Who the scenarios' names stand for: the configured accounts.
PERSONAS = {"Alice": "test_user", "Bob": "second_user", "the administrator": "admin", "the supervisor": "supervisor"}

# The personas whom the run keeps able to pay for replies (the scenarios' new users have the credits they say).
PAYING_PERSONAS = ("Alice", "Bob")


class Suite:
    """Configuration, the platform client and the signed-in personas, for the whole run."""

    def __init__(self, config: SuiteConfig, platform: PlatformClient):
        self.config = config
        self.platform = platform
        self._credentials: dict[str, Credentials] = {}  # by persona
        self._all_credentials: list[Credentials] = []  # the personas' and the scenarios' new users'
        self._pool: ThreadPoolExecutor | None = None
        self.leftovers = Leftovers(f"{config.run_prefix}-{secrets.token_hex(3)}")
        granter = next((name for name in ("the administrator", "the supervisor") if self.account(name)), None)
        self.bank = CreditBank(
            ceiling=config.credits_ceiling,
            grant=(lambda user_id, credits: self.person(granter, add_cleanup=no_cleanup).allocate(user_id, credits))
            if granter
            else None,
            granter=granter,
        )
        self.id_samples = IdSamples()  # issued streaming session IDs: what they share is no secret (leaks)
        self.confirm_retries = 0  # confirmations sent again because the issued ID may not have been stored yet

    def count_retry(self) -> None:
        self.confirm_retries += 1

    def retry_summary(self) -> str:
        """One line for the end of the run: retries are evidence, never hidden."""
        return (
            f"confirmation retries: {self.confirm_retries} (a mismatch for a reply's own streaming session ID sent "
            f"again within confirm_retry={self.config.confirm_retry_s:g} s of its done, before it was ever accepted)"
        )

    def account(self, persona: str) -> Account | None:
        account: Account | None = getattr(self.config, PERSONAS[persona])
        return account

    def configured_account(self, persona: str) -> Account:
        """A persona's account, which a scenario naming her needs."""
        account = self.account(persona)
        if account is None:
            raise AssertionError(f"{persona} is not configured (docs/deployment.md: the accounts)")
        return account

    def credentials(self, persona: str) -> Credentials:
        """A persona's sign-in, made once per run and renewed when its access token is about to expire."""
        if persona not in self._credentials:
            self._credentials[persona] = self.credentials_of(self.configured_account(persona))
        return self._credentials[persona]

    def credentials_of(self, account: Account) -> Credentials:
        credentials = Credentials(self.platform, account)
        self._all_credentials.append(credentials)
        return credentials

    def signed_in(self, persona: str) -> SignedIn:
        return self.credentials(persona).current()

    def sign_in_summary(self) -> str:
        """One line for the end of the run: how often access tokens had to be renewed."""
        renewals = sum(credentials.renewals for credentials in self._all_credentials)
        return (
            f"sign-ins: {len(self._all_credentials)} accounts, {renewals} signed in again because their access token "
            "was about to expire"
        )

    def person(
        self,
        name: str,
        *,
        add_cleanup: Callable[[str, Callable[[], Any]], None],
        signed_in: Credentials | None = None,
    ) -> Person:
        """A persona (signed in once per run, again when the token is about to expire), or whoever `signed_in` says."""
        person = Person(
            name,
            signed_in or self.credentials(name),
            self.platform,
            confirm_retry_s=self.config.confirm_retry_s,
            add_cleanup=add_cleanup,
            bank=self.bank if signed_in is None and name in PAYING_PERSONAS else None,
            run_id=self.run_id,
        )
        person.count_retry = self.count_retry
        return person

    @property
    def pool(self) -> ThreadPoolExecutor | None:
        """The run's workers for near misses (None: one after another); kept for the run, so that each worker
        keeps its HTTP session and connection from family to family."""
        if self._pool is None and self.config.near_miss_workers > 1:
            self._pool = ThreadPoolExecutor(max_workers=self.config.near_miss_workers, thread_name_prefix="near-miss")
        return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)

    @property
    def run_id(self) -> str:
        """What everything the run creates is named with: the configured prefix and a random part per run."""
        return self.leftovers.run_id

    def new_username(self, name: str) -> str:
        return self.config.new_username(name, run=self.run_id)


def no_cleanup(description: str, cleanup: Callable[[], Any]) -> None:
    """For set-up done once per run, which creates nothing that needs removing."""
