"""What every exchange of every scenario must keep, checked by the library on every exchange (no step asks).

`Invariants` watches the scenario's exchanges as they came (raw evidence: chat_acceptance.transport.client):
- no error answer reveals a streaming session ID the scenario received, whole or six characters of its
  unpredictable part that the request did not carry, in any header (Set-Cookie too) or anywhere in the body
  (chat_acceptance.attacks.leaks);
- no answer that lets a request through (2xx) shows anyone a conversation someone else of the scenario started;
- an issued ID, once accepted, is accepted every time it is sent again until a newer stream of its
  conversation replaces it (contract: "The same ID confirms again as often as it is sent");
- a request by someone that names another person's conversation (in its path, query or body) and is not
  refused leaves that conversation as it was: compared with the attempt's snapshot (a refusal is compared below);
- a refused request (any 4xx but 429) changes nothing: before each attempt of a When or Then step, a snapshot
  is taken (once, reused until an accepted request may have changed something) of the balances of everyone in
  the scenario, their conversation lists and conversations; after a refusal they are read again and compared,
  the accounts the scenario created must still sign in after a refused request to the auth service, and the
  issued ID of the conversation the refusal aimed at must still confirm its reply.
Findings are kept, first line stable, and judged by the scenario's own steps about them and by the step the run
adds to every scenario (features/environment.py), behaviour first.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from chat_acceptance.attacks import leaks
from chat_acceptance.checks import others_conversations
from chat_acceptance.checks.consequences import account_changes, as_pairs
from chat_acceptance.checks.invariant_findings import (
    CONFIRMS_AGAIN,
    CONSEQUENCE,
    CORS,
    LEAK,
    OTHERS_CONVERSATION,
    Finding,
    allowed_origin_problem,
    conversation_of,
    is_mismatch_answer,
    is_refusal,
    session_ids_in,
)
from chat_acceptance.checks.matchers import tokens_reported
from chat_acceptance.checks.snapshots import State, as_own, differences, is_own, read_side_by_side
from chat_acceptance.transport.client import confirmation
from chat_acceptance.transport.exchange import Exchange, route_of
from chat_acceptance.transport.sse import MalformedStream
from chat_acceptance.waiting import poll_until

if TYPE_CHECKING:
    from chat_acceptance.world.scenario import World

_READS = frozenset({"GET", "HEAD", "OPTIONS"})


class Invariants:
    def __init__(self, world: World, samples: leaks.IdSamples):
        self.world = world
        self.samples = samples
        self.findings: list[Finding] = []
        self.issued: list[str] = []  # the IDs of the replies the scenario received, in order
        self.latest: dict[str, str] = {}  # conversation -> the ID of its latest stream
        self.accepted: dict[str, set[str]] = {}  # conversation -> IDs accepted since its latest stream
        self.owners: dict[str, str] = {}  # conversation -> the name of the person who started it
        self.titles: dict[str, str] = {}  # conversation -> the title it was started with
        self.tokens_used: dict[str, int] = {}  # conversation -> tokensUsed of its latest reply
        self.gone: set[str] = set()  # conversations deleted
        self.ended_at: dict[str, float] = {}  # conversation -> when its latest stream ended (time.monotonic())
        self.phase = "given"  # the step type running: a Given sets up; When and Then attempt and check
        self._snapshot: State | None = None
        self._batch: _Batch | None = None
        self._setting_up = False
        self._lock = threading.Lock()
        self.refusals_compared = 0  # refusals whose consequences were compared with a snapshot
        self.others_compared = 0  # requests naming another person's conversation compared with a snapshot
        self.streamed_text: dict[str, str] = {}  # conversation -> the text its latest stream sent

    # -- hooks (the transport calls them) --------------------------------------------------------------------

    def before_send(self, service: str, method: str, path: str) -> None:
        """Before an attempt (a request of a When step): the snapshot, unless the last one still holds. A Then
        step checks, it does not attempt."""
        if is_own() or self.phase != "when" or self._setting_up:
            return
        if service == "auth":
            return  # the auth service keeps accounts: compared after a refusal by signing in, nothing to read before
        chat = service == "chat"
        with self._lock:  # a batch's attempts may leave side by side: one snapshot before the first
            if self._batch is not None:
                if self._batch.snapshot_taken:
                    return
                self._batch.snapshot_taken = True
            if self._snapshot is None or chat and not self._snapshot.chat:
                self._snapshot = self._read_state(chat, before=True)

    def observe(self, exchange: Exchange) -> None:
        if is_own() or exchange.status == 429:  # a 429 says nothing about the request: it is sent again as it was
            return
        path = urlsplit(exchange.url).path
        conversation = conversation_of(path)
        self._note_stream(exchange, conversation)
        self._note_ownership(exchange, path)
        if exchange.status is not None and exchange.status >= 400:
            self._check_leaks(exchange)
            if conversation is not None:
                self._check_foreign_conversation_hidden(exchange, conversation)
        if exchange.status is not None and 200 <= exchange.status < 300:
            self._check_no_foreign_conversation_shown(exchange, path)
        self._check_allowed_origin(exchange)
        if path.endswith("/update-stream") and conversation is not None:
            self._check_confirms_again(exchange, conversation)
        if not is_refusal(exchange.status):
            self._check_others_conversations(exchange)
        if is_refusal(exchange.status):
            if self._batch is not None:
                self._batch.refused.append(exchange)
            else:
                self._check_refusal(exchange, conversation)
        elif exchange.method not in _READS and not path.endswith("/api/auth/login"):
            if exchange.method == "DELETE" and conversation is not None and exchange.status == 200:
                self.gone.add(conversation)
            if self._batch is not None:
                self._batch.changed = True
            else:
                self._snapshot = None  # an accepted change (or no answer): the next attempt needs a new snapshot

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Attempts sent together (near misses, perhaps at the same time; the same ID again and again): one
        snapshot before the first, one comparison after the last, whatever order they ran in."""
        self._batch = _Batch()
        try:
            yield
        finally:
            batch, self._batch = self._batch, None
            if batch.refused:
                first = batch.refused[0]
                self._check_refusal(first, conversation_of(urlsplit(first.url).path), len(batch.refused))
            if batch.changed:
                self._snapshot = None

    @contextmanager
    def setting_up(self) -> Iterator[None]:
        """What a When step sets up first (a conversation to aim at, the ID made sure to be stored) is no
        attempt: no snapshot before it (an accepted change still makes the next attempt take a new one)."""
        self._setting_up = True
        try:
            yield
        finally:
            self._setting_up = False

    def first(self, *kinds: str) -> Finding | None:
        return next((finding for finding in self.findings if not kinds or finding.kind in kinds), None)

    # -- what the scenario received and confirmed ------------------------------------------------------------

    def _note_stream(self, exchange: Exchange, conversation: str | None) -> None:
        stream = exchange.stream
        if stream is None or stream.status != 200 or not stream.streaming_session_id or conversation is None:
            return
        issued = stream.streaming_session_id
        self.issued.append(issued)
        self.samples.learn(issued)
        self.latest[conversation] = issued
        self.accepted[conversation] = set()
        self.ended_at[conversation] = time.monotonic()
        try:
            self.streamed_text[conversation] = stream.text
        except MalformedStream:
            self.streamed_text.pop(conversation, None)
        self.tokens_used[conversation] = tokens_reported(stream.done) or 0

    def _note_ownership(self, exchange: Exchange, path: str) -> None:
        if exchange.method != "POST" or path.rstrip("/") != "/api/chat/sessions" or exchange.status != 201:
            return
        try:
            session_id = json.loads(exchange.response_body or "").get("sessionId")
        except (ValueError, AttributeError):
            return
        owner = self._person_with(exchange.request_headers.get("Authorization", ""))
        if isinstance(session_id, str) and owner is not None:
            self.owners[session_id] = owner
            try:
                title = json.loads(exchange.request_body or "").get("title")
            except (ValueError, AttributeError):
                title = None
            if isinstance(title, str) and title:
                self.titles[session_id] = title

    def _person_with(self, authorization: str) -> str | None:
        token = authorization.removeprefix("Bearer ")
        return next((name for name, person in self.world.people.items() if person.has_held(token)), None)

    def note_accepted(self, conversation: str, issued: str) -> None:
        self.accepted.setdefault(conversation, set()).add(issued)

    def was_accepted(self, conversation: str, issued: str | None) -> bool:
        return issued in self.accepted.get(conversation, set())

    # -- the invariants ----------------------------------------------------------------------------------

    def _check_leaks(self, exchange: Exchange) -> None:
        request_parts = [
            exchange.url,
            unquote(exchange.url),
            exchange.request_body,
            *(f"{name}: {value}" for name, value in exchange.request_headers.items()),
        ]
        for issued in dict.fromkeys(self.issued):
            found = leaks.leaks_in(
                issued,
                status_line=f"HTTP {exchange.status}",
                headers=exchange.response_headers,
                body=exchange.response_body,
                request_parts=request_parts,
                unpredictable=self.samples.unpredictable_part(issued),
            )
            if found:
                leak = found[0]
                shown = (
                    "the whole issued streaming session ID" if leak.whole else "part of the issued streaming session ID"
                )
                self._add(
                    Finding(
                        LEAK,
                        f"Streaming session ID revealed: the {exchange.status} answer to {exchange.method} "
                        f"{route_of(urlsplit(exchange.url).path)} shows {shown} in {leak.where}; "
                        "expected no error to reveal it",
                        f"{exchange.method} {exchange.url} revealed {leak.revealed!r} of {issued!r}"
                        + (f"; {len(found) - 1} more part(s) of that answer did too" if len(found) > 1 else ""),
                    )
                )
                return

    def _check_foreign_conversation_hidden(self, exchange: Exchange, conversation: str) -> None:
        """For anyone but its owner a conversation does not exist: her refusal names neither its owner (username,
        user ID) nor its title, whole and exactly, where the request itself did not carry them."""
        owner = self.owners.get(conversation)
        asker = self._person_with(exchange.request_headers.get("Authorization", ""))
        if owner is None or asker is None or asker == owner or owner not in self.world.people:
            return
        person = self.world.person(owner)
        details = {
            "its owner's username": person.username,
            "its owner's user ID": person.user_id,
            "its title": self.titles.get(conversation),
        }
        sent = "\n".join(
            [
                exchange.url,
                unquote(exchange.url),
                exchange.request_body or "",
                *(f"{name}: {value}" for name, value in exchange.request_headers.items()),
            ]
        )
        answer = "\n".join(
            [exchange.response_body or "", *(f"{name}: {value}" for name, value in exchange.response_headers.items())]
        )
        for what, value in details.items():
            if value and value in answer and value not in sent:
                self._revealed(exchange, f"names {what}", f"{asker} was answered {answer[:300]!r}")
                return

    def _check_no_foreign_conversation_shown(self, exchange: Exchange, path: str) -> None:
        """For anyone but its owner a conversation does not exist: no answer that lets a request through on a
        conversation route shows the caller a conversation someone else started, by its ID in the path or as a
        sessionId of the answer (its own, or one of its list), whatever ID the request carried."""
        if not path.startswith("/api/chat/sessions"):
            return
        asker = self._person_with(exchange.request_headers.get("Authorization", ""))
        for conversation in (conversation_of(path), *session_ids_in(exchange.response_body)):
            owner = self.owners.get(conversation or "")
            if asker is None or owner is None or owner == asker or self._same_account(owner, asker):
                continue
            self._revealed(
                exchange,
                f"shows {asker} {owner}'s conversation",
                f"{exchange.method} {exchange.url} showed {asker} the conversation {conversation!r}",
            )
            return

    def _revealed(self, exchange: Exchange, what: str, details: str) -> None:
        route = route_of(urlsplit(exchange.url).path)
        self._add(
            Finding(
                LEAK,
                f"Another user's conversation revealed: the {exchange.status} answer to {exchange.method} {route} "
                f"{what}; expected it not to exist for anyone but its owner",
                details,
            )
        )

    def _same_account(self, owner: str, asker: str) -> bool:
        """Two of the scenario's names for one account (a deployment's configuration may give them one)."""
        people = self.world.people
        return owner in people and people[owner].user_id == people[asker].user_id

    def _check_allowed_origin(self, exchange: Exchange) -> None:
        """Any answer to a request from a web page must allow the page's origin ("a request with an Origin header
        ... gets CORS headers"), a missing Access-Control-Allow-Origin included. A 5xx is a failure of its own,
        often a proxy's page without CORS headers: saying CORS about it would name the wrong defect."""
        origin = next((value for name, value in exchange.request_headers.items() if name.lower() == "origin"), None)
        if origin is None or exchange.status is None or exchange.status >= 500:
            return
        problem = allowed_origin_problem(origin, exchange.response_headers)
        if problem is not None:
            self._add(
                Finding(
                    CORS,
                    "expected Access-Control-Allow-Origin to name the page's origin (or * without credentials), but "
                    f"the answer to {exchange.method} {route_of(urlsplit(exchange.url).path)} does not",
                    f"{problem}; the page's origin is {origin!r}",
                )
            )

    def _check_confirms_again(self, exchange: Exchange, conversation: str) -> None:
        try:
            claimed = json.loads(exchange.request_body or "").get("streamingSessionId")
        except (ValueError, AttributeError):
            return
        if not isinstance(claimed, str) or claimed != self.latest.get(conversation):
            return
        if exchange.status == 200:
            self.note_accepted(conversation, claimed)
        elif is_mismatch_answer(exchange.status, exchange.response_body) and self.was_accepted(conversation, claimed):
            self._add(
                Finding(
                    CONFIRMS_AGAIN,
                    "Issued streaming session ID refused after it was accepted: the latest stream's ID confirmed the "
                    f"reply once, then the confirmation answered {exchange.status}; expected it to confirm again every "
                    "time it is sent",
                    f"POST {route_of(urlsplit(exchange.url).path)} answered {exchange.status} "
                    f"{(exchange.response_body or '')[:200]}",
                )
            )

    def _check_others_conversations(self, exchange: Exchange) -> None:
        """An attempt that names someone else's conversation and is not refused (a refusal is compared whole, in
        _check_refusal) leaves it as it was: read again (only the conversations it names) and compared with the
        snapshot taken before the attempt."""
        before, authorization = self._snapshot, exchange.request_headers.get("Authorization")
        if before is None or not before.chat or self._batch is not None or not authorization:
            return  # a sign-in (a renewal too) carries no token
        if not others_conversations.named_by(exchange, before, self.owners, None):
            return  # names no one's conversation: who sent it does not matter
        sender = self._person_with(authorization)
        named = others_conversations.named_by(exchange, before, self.owners, sender) if sender is not None else []
        if not named:
            return
        self.others_compared += 1
        now = read_side_by_side(self._conversation_read(one, self.owners[one], False) for one in named)
        for conversation, change in others_conversations.changes(before, named, now)[:1]:
            route = f"{exchange.method} {route_of(urlsplit(exchange.url).path)}"
            self._add(
                Finding(
                    OTHERS_CONVERSATION,
                    f"Another user's request changed {self.owners[conversation]}'s conversation: {route} answered "
                    f"{exchange.status}",
                    f"{sender} sent it; {change}",
                )
            )

    def _check_refusal(self, exchange: Exchange, conversation: str | None, count: int = 1) -> None:
        before, self._snapshot = self._snapshot, None
        if exchange.service == "auth":
            before = self._check_accounts(exchange, before)
        if before is None:
            return  # refused in a Given (which then fails on its own), or with nothing recorded before it
        route = f"{exchange.method} {route_of(urlsplit(exchange.url).path)}"
        what = f"{route} answered {exchange.status}" + (f" ({count} refused requests)" if count > 1 else "")
        after = self._read_state(before.chat)
        self.refusals_compared += 1
        changes = differences(before, after)
        if not changes and conversation is not None:
            changes += self._owner_cannot_confirm(conversation, before)
        if changes:
            self._add(Finding(CONSEQUENCE, f"Refused attempt changed what it protects: {what}", "; ".join(changes)))
        else:
            self._snapshot = before  # nothing changed: the snapshot still holds for the next attempt

    def _check_accounts(self, exchange: Exchange, before: State | None) -> State | None:
        """A refusal by the auth service: every account the scenario created still signs in, and one it tried to
        create does not exist. Returns the snapshot, which still holds when nothing changed."""
        if self.phase != "when":
            return before  # a Given sets up, a Then checks (a sign-in refused there is a check's answer)
        self.refusals_compared += before is None  # the accounts are what the auth service keeps
        if urlsplit(exchange.url).path.endswith("/login"):
            return before  # a refused sign-in: no account to compare beyond the snapshot
        changes = self._account_changes()
        if changes:
            route = f"{exchange.method} {route_of(urlsplit(exchange.url).path)}"
            self._add(
                Finding(
                    CONSEQUENCE,
                    f"Refused attempt changed what it protects: {route} answered {exchange.status}",
                    "; ".join(changes),
                )
            )
            return None
        return before

    def _account_changes(self) -> list[str]:
        with as_own():
            return account_changes(self.world)

    def _owner_cannot_confirm(self, conversation: str, before: State) -> list[str]:
        """The refused request aimed at a conversation with an issued ID: that ID still confirms the reply, with
        the text the conversation holds (so the confirmation changes nothing)."""
        issued, owner_name = self.latest.get(conversation), self.owners.get(conversation)
        messages = before.conversations.get(conversation)
        if issued is None or owner_name is None or conversation in self.gone or not isinstance(messages, tuple):
            return []
        replies = [content for role, content in messages if role == "assistant"]
        if not replies:
            return []
        owner = self.world.people[owner_name]
        body = confirmation(replies[-1], issued, self.tokens_used.get(conversation, 0))
        with as_own():
            answer = owner.confirm_until_stored(conversation, issued, lambda: owner.confirm_body(conversation, body))
        if answer.status != 200:
            return [
                f"{owner_name}'s own streaming session ID no longer confirms the reply: {answer.request} "
                f"answered {answer.status} {answer.text[:200]}"
            ]
        self.note_accepted(conversation, issued)
        return []

    def _conversation_read(self, conversation: str, owner: str, before: bool) -> Callable[[], Any]:
        """Reads a conversation's messages. Before an attempt, a reply that streamed moments ago may not be
        saved yet (a deployment may save it a little after done): the read waits for it, within the bounded
        window from done, so that its late save is never taken for the attempt's doing."""
        person = self.world.people[owner]
        text = self.streamed_text.get(conversation)
        if not before or text is None:
            return lambda: as_pairs(person.messages(conversation))
        window = self.world.suite.config.confirm_retry_s if self.world.suite is not None else 0.0
        remaining = window - (time.monotonic() - self.ended_at[conversation])

        def saved(pairs: Any) -> bool:
            replies = [content for role, content in pairs if role == "assistant"]
            return bool(replies) and replies[-1] == text

        return lambda: poll_until(
            lambda: as_pairs(person.messages(conversation)), saved, deadline_s=max(remaining, 0.0)
        )

    # -- reading the state -----------------------------------------------------------------------------------

    def _read_state(self, chat: bool, before: bool = False) -> State:
        """A handful of reads, side by side: every person's balance; for an attempt on the chat service (the only
        one that keeps conversations) also every person's list and every conversation of theirs."""
        people = {name: person for name, person in self.world.people.items() if name in self.world.compared}
        reads: dict[tuple[str, str], Callable[[], Any]] = {}
        for name, person in people.items():
            reads[("balances", name)] = person.balance
            if chat:
                reads[("listed", name)] = person.listed_conversations
        for conversation, owner in self.owners.items():
            if chat and conversation not in self.gone and owner in self.world.people:
                reads[("conversations", conversation)] = self._conversation_read(conversation, owner, before)
        state = State(chat)
        if not reads:
            return state
        results = dict(zip(reads, read_side_by_side(reads.values()), strict=True))
        for (part, key), value in results.items():
            getattr(state, part)[key] = value
        return state

    def _add(self, finding: Finding) -> None:
        self.findings.append(finding)


@dataclass
class _Batch:
    snapshot_taken: bool = False
    refused: list[Exchange] = field(default_factory=list)
    changed: bool = False  # an accepted change inside the batch: the next attempt needs a new snapshot
