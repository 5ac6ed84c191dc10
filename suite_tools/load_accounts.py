"""The load run's accounts: prepared before the measured phase, and everything the run made removed after it.

Everything a run creates carries the run's prefix (`load-<6 hex>`): its users are `<prefix>-0000`, `-0001`...
and its conversations are titled `<prefix> conversation`. The contract has no route that lists users, so the
run finds its own by name: each password is derived from a secret the run keeps in memory, and only the run
can sign in as its users. That makes every step safe to repeat when the client gave up on a request that the
server completed anyway:
- creating a user again answers 400 (taken); signing in with the derived password proves it is ours;
- a conversation started twice is found by its title when the run ends, and deleted;
- at the end every name the run generated is looked at, signed in as if needed, and its conversations and the
  user removed. Credits allocated to a removed user stay in accounting: the contract has no route to take
  them back, and nobody can use them.

Without an administrator the run uses the configured test accounts (which must hold credits) and removes only
the conversations it started, by their title.

Nothing here imports Locust: the locustfile calls it from the master (or the single process), and the tests
call it directly.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import itertools
import secrets
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from chat_acceptance.actors.people import Person, SignedIn, sign_in
from chat_acceptance.config.suite_config import Account, SuiteConfig
from chat_acceptance.transport.client import PlatformClient
from chat_acceptance.transport.exchange import ApiResponse, PlatformUnavailable
from chat_acceptance.waiting import poll_until

CONCURRENCY = 8  # set-up and clean-up calls at once: enough to finish fast, few enough not to swamp auth's hashing
RETRY_DEADLINE_S = 60  # per step, for answers that never came (the client gave up) or 5xx/429
T = TypeVar("T")


@dataclass(frozen=True)
class RunPlan:
    """The names a run gives what it creates, and the secret its passwords derive from."""

    prefix: str
    secret: bytes = field(repr=False)

    @classmethod
    def new(cls) -> RunPlan:
        return cls(f"load-{secrets.token_hex(3)}", secrets.token_bytes(16))

    def username(self, number: int) -> str:
        return f"{self.prefix}-{number:04d}"

    def usernames(self, count: int) -> list[str]:
        return [self.username(number) for number in range(count)]

    def password(self, username: str) -> str:
        return "Pw-" + hmac.new(self.secret, username.encode(), hashlib.sha256).hexdigest()[:20]

    @property
    def conversation_title(self) -> str:
        return f"{self.prefix} conversation"

    def owns_title(self, title: Any) -> bool:
        return isinstance(title, str) and title.startswith(self.prefix + " ")


@dataclass(frozen=True)
class LoadAccount:
    """One Locust user's end user: signed in, with credits and one conversation of its own."""

    signed_in: SignedIn
    conversation_id: str
    password: str = field(repr=False)  # to sign in again should the token expire

    def to_message(self) -> dict[str, Any]:
        """For the master to hand the account to a worker (Locust messages carry plain data)."""
        signed_in = self.signed_in
        return {
            "username": signed_in.username,
            "user_id": signed_in.user_id,
            "access_token": signed_in.access_token,
            "refresh_token": signed_in.refresh_token,
            "conversation_id": self.conversation_id,
            "password": self.password,
        }

    @classmethod
    def from_message(cls, data: dict[str, Any]) -> LoadAccount:
        signed_in = SignedIn(data["username"], data["user_id"], data["access_token"], data["refresh_token"])
        return cls(signed_in, data["conversation_id"], data["password"])


@dataclass
class Prepared:
    accounts: list[LoadAccount]
    failures: list[str]  # one line per account that could not be prepared
    seconds: float


@dataclass
class CleanedUp:
    users_removed: int = 0
    conversations_removed: int = 0
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0


class LoadAccounts:
    """Prepares and removes one run's accounts; `client()` gives a fresh PlatformClient per worker thread."""

    def __init__(self, config: SuiteConfig, plan: RunPlan, client: Callable[[], PlatformClient], *, credits: int):
        self.config = config
        self.plan = plan
        self.client = client
        self.credits = credits

    # -- before the measured phase ------------------------------------------------------------------------

    def prepare(self, count: int) -> Prepared:
        """`count` accounts, prepared CONCURRENCY at a time; an account that cannot be prepared is a failure."""
        started = time.monotonic()
        admin = self._admin()
        if self.config.admin is not None and admin is None:
            return Prepared(
                [], [f"the administrator {self.config.admin.username!r} could not sign in"], time.monotonic() - started
            )
        if admin is None:
            configured = self._configured_accounts()
            if not configured:
                return Prepared([], ["no configured test account could sign in"], time.monotonic() - started)
            turns = itertools.cycle(configured)
            jobs = [functools.partial(self._with_conversation, *next(turns)) for _ in range(count)]
        else:
            jobs = [
                lambda username=username: self._new_user(admin, username) for username in self.plan.usernames(count)
            ]
        outcomes = self._run_all(jobs)
        return Prepared(
            [outcome for outcome in outcomes if isinstance(outcome, LoadAccount)],
            [outcome for outcome in outcomes if isinstance(outcome, str)],
            time.monotonic() - started,
        )

    def _new_user(self, admin: SignedIn, username: str) -> LoadAccount | str:
        platform = self.client()
        try:
            administrator = self._person("the administrator", admin, platform)
            password = self.plan.password(username)
            created = _retrying(
                lambda: administrator.create_user(
                    username=username, email=f"{username}@load.example.com", password=password
                )
            )
            # 400 (taken) after an attempt that got no answer: it was created then; signing in proves it is ours.
            if not (isinstance(created, ApiResponse) and created.status in (201, 400)):
                return f"creating {username}: {_said(created)}"
            signed_in = _retrying(lambda: sign_in(platform, Account(username, password)))
            if not isinstance(signed_in, SignedIn):
                return f"signing in as {username}: {_said(signed_in)}"
            allocated = _retrying(lambda: administrator.allocate(signed_in.user_id, self.credits))
            if not (isinstance(allocated, ApiResponse) and allocated.status == 201):
                return f"allocating credits to {username}: {_said(allocated)}"
            return self._start_conversation(signed_in, password, platform)
        finally:
            platform.transport.close()

    def _with_conversation(self, signed_in: SignedIn, password: str) -> LoadAccount | str:
        platform = self.client()
        try:
            return self._start_conversation(signed_in, password, platform)
        finally:
            platform.transport.close()

    def _start_conversation(self, signed_in: SignedIn, password: str, platform: PlatformClient) -> LoadAccount | str:
        person = self._person(signed_in.username, signed_in, platform)
        started = _retrying(lambda: person.start_conversation(self.plan.conversation_title))
        if not isinstance(started, str):
            return f"{signed_in.username} starting a conversation: {_said(started)}"
        return LoadAccount(signed_in, started, password)

    def _configured_accounts(self) -> list[tuple[SignedIn, str]]:
        platform = self.client()
        try:
            signed = [
                (_retrying(lambda account=account: sign_in(platform, account)), account.password)
                for account in (self.config.test_user, self.config.second_user)
            ]
        finally:
            platform.transport.close()
        return [(signed_in, password) for signed_in, password in signed if isinstance(signed_in, SignedIn)]

    # -- after the run ------------------------------------------------------------------------------------

    def clean_up(self, count: int, known: Iterable[LoadAccount] = ()) -> CleanedUp:
        """Removes every user the run may have created (`count` names) and every conversation it titled.

        `known` accounts are used as they are; any other name is signed in as, to learn whether it exists.
        """
        started = time.monotonic()
        known_by_name = {account.signed_in.username: account for account in known}
        result = CleanedUp()
        admin = self._admin()
        if self.config.admin is not None and admin is None:
            result.failures.append(f"the administrator {self.config.admin.username!r} could not sign in to clean up")
            jobs = []
        elif admin is None:
            jobs = [
                lambda account=account: self._remove_conversations(*account) for account in self._configured_accounts()
            ]
        else:
            jobs = [
                lambda username=username: self._remove_user(admin, username, known_by_name.get(username))
                for username in self.plan.usernames(count)
            ]
        for users, conversations, failures in self._run_all(jobs):
            result.users_removed += users
            result.conversations_removed += conversations
            result.failures += failures
        result.seconds = time.monotonic() - started
        return result

    def _remove_user(self, admin: SignedIn, username: str, known: LoadAccount | None) -> tuple[int, int, list[str]]:
        platform = self.client()
        try:
            if known is not None:
                signed_in = known.signed_in
            else:
                signed_in = _retrying(
                    lambda: _signed_in_or_none(platform, Account(username, self.plan.password(username)))
                )
                if signed_in is None:
                    return 0, 0, []  # never created (or already removed)
                if not isinstance(signed_in, SignedIn):
                    return 0, 0, [f"signing in as {username} to clean up: {_said(signed_in)}"]
            _, conversations, failures = self._remove_conversations(signed_in, self.plan.password(username), platform)
            administrator = self._person("the administrator", admin, platform)
            deleted = _retrying(lambda: administrator.delete_user(signed_in.user_id))
            if isinstance(deleted, ApiResponse) and deleted.status in (200, 204, 404):
                return int(deleted.status != 404), conversations, failures
            return 0, conversations, [*failures, f"deleting user {username}: {_said(deleted)}"]
        finally:
            platform.transport.close()

    def _remove_conversations(
        self, signed_in: SignedIn, password: str, platform: PlatformClient | None = None
    ) -> tuple[int, int, list[str]]:
        """Deletes the signed-in user's conversations that carry the run's title (signing in again on a 401)."""
        own_client = platform is None
        platform = platform or self.client()
        try:
            person = self._person(signed_in.username, signed_in, platform)
            listed = _retrying(person.conversations)
            if isinstance(listed, ApiResponse) and listed.status == 401:  # the token expired during a long run
                fresh = _retrying(lambda: sign_in(platform, Account(signed_in.username, password)))
                if not isinstance(fresh, SignedIn):
                    return 0, 0, [f"signing in again as {signed_in.username}: {_said(fresh)}"]
                person = self._person(signed_in.username, fresh, platform)
                listed = _retrying(person.conversations)
            sessions = listed.field("sessions") if isinstance(listed, ApiResponse) and listed.status == 200 else None
            if not isinstance(sessions, list):
                return 0, 0, [f"listing {signed_in.username}'s conversations: {_said(listed)}"]
            removed, failures = 0, []
            for session in sessions:
                if not (isinstance(session, dict) and self.plan.owns_title(session.get("title"))):
                    continue
                conversation_id = str(session.get("sessionId"))
                deleted = _retrying(functools.partial(person.delete_conversation, conversation_id))
                if isinstance(deleted, ApiResponse) and deleted.status in (200, 204, 404):
                    removed += deleted.status != 404
                else:
                    failures.append(f"deleting conversation {conversation_id}: {_said(deleted)}")
            return 0, removed, failures
        finally:
            if own_client:
                platform.transport.close()

    # -- shared -------------------------------------------------------------------------------------------

    def _admin(self) -> SignedIn | None:
        if self.config.admin is None:
            return None
        platform = self.client()
        try:
            signed_in = _retrying(lambda: sign_in(platform, self.config.admin))
        finally:
            platform.transport.close()
        return signed_in if isinstance(signed_in, SignedIn) else None

    def _person(self, name: str, signed_in: SignedIn, platform: PlatformClient) -> Person:
        # What a run creates is found by its prefix at the end, not by per-object clean-ups.
        return Person(
            name,
            signed_in,
            platform,
            confirm_retry_s=self.config.confirm_retry_s,
            add_cleanup=lambda description, action: None,
        )

    @staticmethod
    def _run_all(jobs: list[Callable[[], T]]) -> list[T]:
        with ThreadPoolExecutor(max_workers=CONCURRENCY) as pool:  # greenlets under Locust's gevent
            return list(pool.map(lambda job: job(), jobs))


def _signed_in_or_none(platform: PlatformClient, account: Account) -> SignedIn | ApiResponse | None:
    """Signed in; None when the platform says those credentials are unknown (401); the answer otherwise."""
    answer = platform.auth.login(account.username, account.password)
    if answer.status == 401:
        return None
    if answer.status != 200:
        return answer
    return sign_in(platform, account)


def _retrying(action: Callable[[], T]) -> T | PlatformUnavailable | AssertionError:
    """The action's result once it is not a missing answer, a 5xx or a 429, within RETRY_DEADLINE_S.

    A step whose request the client gave up on may have been done by the server: every step above is safe to
    repeat (or is found by name at the end).
    """

    def attempt() -> Any:
        try:
            return action()
        except AssertionError as problem:  # PlatformUnavailable, or a set-up step the platform refused
            return problem

    def settled(result: Any) -> bool:
        if isinstance(result, PlatformUnavailable):
            return False
        return not (isinstance(result, ApiResponse) and (result.status >= 500 or result.status == 429))

    return poll_until(attempt, settled, deadline_s=RETRY_DEADLINE_S, interval_s=0.2, max_interval_s=2.0)


def _said(result: Any) -> str:
    if isinstance(result, ApiResponse):
        return f"{result.status} {result.text[:200]}"
    return str(result)[:300]
