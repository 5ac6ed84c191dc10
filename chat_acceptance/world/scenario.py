"""What one scenario knows (World): who takes part, what they did, what the platform answered, and the actions
steps call on it."""

from __future__ import annotations

import enum
import math
from collections.abc import Callable
from typing import Any

from chat_acceptance.actors.credits import NotCheckable
from chat_acceptance.actors.people import ADMIN_ROLE_CLAIMS, Person, Reply, identity_claims_of
from chat_acceptance.attacks import forgery, near_misses
from chat_acceptance.attacks.forgery import lookalike_of, made_up_streaming_id
from chat_acceptance.attacks.leaks import IdSamples
from chat_acceptance.checks import consequences
from chat_acceptance.checks.invariants import Invariants
from chat_acceptance.checks.matchers import (
    carries_streaming_session_id,
    has_ended,
    is_accepted,
    require,
    stream_end_problems,
)
from chat_acceptance.config.suite_config import Account
from chat_acceptance.reporting.attachments import NEAR_MISS_TIMING, attach_json, attach_text
from chat_acceptance.transport.exchange import ApiResponse, Claims, Exchange
from chat_acceptance.transport.sse import StreamResult
from chat_acceptance.world import near_miss_trials
from chat_acceptance.world.suite import PERSONAS, Suite


class OtherId(enum.Enum):
    """The IDs other than a reply's own that it may be confirmed with (the value names the kind in reports)."""

    MADE_UP = "a made-up ID"
    LOOKALIKE = "an ID shaped like the issued one"
    EARLIER_REPLY = "the ID of her earlier reply"
    OTHER_CONVERSATION = "the ID of the reply in her other conversation"


class World:
    """What one scenario knows: who takes part, what they did and what the platform answered."""

    def __init__(self, suite: Suite, add_cleanup: Callable[[str, Callable[[], Any]], None]):
        # Every attribute the scenario's steps and actions share, each in one line. Besides World's own methods,
        # the steps (features/steps/) and the actions of chat_acceptance.world.access set them.
        self.suite = suite  # the run's state: configuration, platform client, personas, credit bank
        self.add_cleanup = add_cleanup  # registers what removes a thing the scenario created, run after it
        # Who takes part
        self.people: dict[str, Person] = {}  # everyone the scenario met, by name
        self.accounts: dict[str, Account] = {}  # the sign-in of every new user the scenario created, by name
        self.starting_balances: dict[str, float] = {}  # the balance each new user starts from, by name
        # Whose balance and conversation list a refusal is compared on: everyone, unless other runs use the
        # configured accounts at the same time (shared_accounts); then only the users the scenario created
        # (Alice and Bob among them, given an account of their own when an administrator can create it).
        self.compared: set[str] = set()
        # What they did
        self.conversation: str | None = None  # the conversation the scenario is about
        self.reply: Reply | None = None  # the reply the scenario is about
        self.earlier_reply: Reply | None = None  # an earlier reply of the same person ("her earlier reply")
        self.other_reply: Reply | None = None  # her reply in another conversation (under load: another user's)
        self.attempted_account: Account | None = None  # an account someone tried to create (it may not exist)
        self.action: Any = None  # the guarded action the scenario tries (chat_acceptance.world.access)
        self.sent_id: Any = None  # what a confirmation sent as the streaming session ID, when a step chose it
        self.origin: str | None = None  # the origin of the web page a step acts from (access: browsers)
        self.protected: consequences.Protected | None = None  # a conversation before a confirmation of it
        # What the platform answered
        self.answer: ApiResponse | StreamResult | None = None  # what the platform answered to the scenario's action
        self.confirmations: list[ApiResponse] = []  # answers to confirming the same reply again and again
        self.attempts: list[near_miss_trials.Attempt] = []  # near misses tried, with the platform's answers
        self.tries: dict[str, ApiResponse | StreamResult] = {}  # one step's several attempts, by what each tried
        self.exchanges: list[Exchange] = []  # every exchange of the scenario, in order (the run records them)
        # Answers that broke the contract's shapes, in order; the scenario's last step reports them (behaviour first).
        self.contract_findings: list[AssertionError] = []
        # What every exchange must keep (chat_acceptance.checks.invariants); the run wires it to the transport.
        self.invariants = Invariants(self, suite.id_samples if suite is not None else IdSamples())

    def owner(self) -> str | None:
        """Whose conversation the scenario is about: the reply's owner, else whoever the scenario met first."""
        if self.reply is not None:
            return self.reply.owner
        return next(iter(self.people), None)

    def identity_claims(self, token: str) -> Claims:
        """On every request of the scenario's people but the administrator, the administrator's role is claimed;
        whoever is not the owner also claims to be the owner and names her conversation (headers, query
        parameters and body fields a naive service might trust, where the identity_claims setting allows them);
        only the token may decide who is calling and what they may do."""
        sender = next((name for name, person in self.people.items() if person.has_held(token)), None)
        if sender is None:
            return Claims()
        claims = self.role_claims_of(sender)
        owner = self.owner()
        if owner is not None and owner != sender and owner in self.people:
            person = self.people[owner]
            conversation = self.reply.conversation_id if self.reply is not None else person.latest_conversation
            claims |= identity_claims_of(person, conversation)
        return claims.only(self.suite.config.identity_claims)

    def role_claims_of(self, name: str) -> Claims:
        """What `name` claims besides her token about her role: an end user or a supervisor claims to be an
        administrator (the administrator claims nothing)."""
        return Claims() if name == "the administrator" else ADMIN_ROLE_CLAIMS

    def _meet(self, name: str, person: Person, *, created: bool) -> Person:
        person.invariants = self.invariants
        self.people[name] = person
        if created or not self.suite.config.shared_accounts:
            self.compared.add(name)
        return person

    def person(self, name: str) -> Person:
        if name not in self.people:
            if name not in PERSONAS:
                raise AssertionError(f"{name} has not been introduced in this scenario")
            if self._needs_own_account(name):
                self.new_user_with_credits(name, self.suite.config.credits_to_allocate)
            else:
                self._meet(name, self.suite.person(name, add_cleanup=self.add_cleanup), created=False)
        return self.people[name]

    def _needs_own_account(self, name: str) -> bool:
        """Where other runs use the configured accounts at the same time (shared_accounts), the end users get a
        scenario-fresh funded account, so that a refusal is compared on their balances and lists too (an
        administrator is needed to create it; without one they stay shared, and are not compared)."""
        config = self.suite.config
        return (
            config.shared_accounts
            and name in ("Alice", "Bob")
            and config.admin is not None
            and config.credits_to_allocate > 0
        )

    def received_reply(
        self, name: str, question: str, conversation_id: str | None = None, *, confirmed: bool = False
    ) -> Reply:
        """A reply `name` has received (and, if `confirmed`, confirmed) for a Given: the stream must issue its ID
        and end; anything else wrong with its end is attached to the report, not judged here (the scenarios
        about the stream's end judge it)."""
        person = self.person(name)
        receive = person.receive_confirmed_reply if confirmed else person.receive_reply
        reply = receive(question, conversation_id)
        for problem in stream_end_problems(reply.stream):
            attach_text(
                f"stream finding (judged by the scenarios about the stream's end): {problem}",
                f"{name}'s reply to {question!r}: {problem}",
                self.suite.platform.transport.redactor,
            )
        return reply

    def new_user(self, name: str, username: str | None = None) -> Person:
        """A new end user whom the administrator creates for this scenario (with `username`, or a fresh one) and
        removes after it."""
        admin = self.person("the administrator")
        config = self.suite.config  # the deployment's username, e-mail and password rules
        username, password = username or self.suite.new_username(name), config.new_password()
        answer = admin.create_user(username=username, email=config.new_email(username), password=password)
        require(answer, is_accepted(f"the administrator creating {name}", 201))
        self.remove_user_if_created(answer, username)
        self.accounts[name] = Account(username, password)
        credentials = self.suite.credentials_of(self.accounts[name])
        credentials.current()  # signs in now: a new user who cannot sign in stops the Given here
        person = self._meet(
            name, self.suite.person(name, add_cleanup=self.add_cleanup, signed_in=credentials), created=True
        )
        self.starting_balances[name] = person.balance()
        return person

    def account_deleted(self, name: str) -> None:
        """`name`'s account is gone: she leaves the people the scenario acts as and compares (her token could not
        be renewed); what she started stays hers for the invariants."""
        self.people.pop(name, None)
        self.compared.discard(name)

    def new_user_with_credits(self, name: str, credits: int) -> Person:
        """A new end user to whom the administrator allocates `credits`; her balance then is the starting one."""
        person = self.new_user(name)
        answer = self.person("the administrator").allocate(person.user_id, credits)
        require(answer, is_accepted(f"allocating {credits} credits to {name}", 201))
        self.starting_balances[name] = person.balance()
        return person

    def new_user_with_credits_for(self, name: str, replies: int) -> Person:
        """A new end user with credits for `replies` replies at the most a reply was seen to cost this run (with
        room to spare; at least 500): the price is the deployment's choice."""
        price = self.suite.bank.price or 0
        return self.new_user_with_credits(name, max(500, int((replies + 1) * price) + 1))

    def new_user_without_credits(self, name: str) -> Person:
        """A new end user who had credits and has spent them all (spend_all_credits)."""
        person = self.new_user(name)
        self.spend_all_credits(name)
        return person

    def new_user_who_spent_her_credits(self, name: str) -> Reply:
        """A new end user who has spent all her credits on replies in one conversation; returns her last reply,
        which issued its streaming session ID and ended."""
        self.new_user(name)
        reply = self.spend_all_credits(name)
        if reply is None:
            raise NotCheckable(
                f"{name} was refused a reply for want of credits at once, though she held what a "
                "reply costs as far as the run has seen: no reply of hers to keep confirmable"
            )
        require(reply.stream, carries_streaming_session_id())
        require(reply.stream, has_ended())
        return reply

    def spend_all_credits(self, name: str) -> Reply | None:
        """`name` (a new user) spends every credit she has on replies in one conversation, which becomes the
        scenario's conversation; returns the last reply she received (None when the first was refused).

        Where she has none, the administrator first allocates what a reply costs as far as the run has seen (at
        least 1), so that she is a user who had credits and spent them, not only one who never had any. Where the
        deployment gives every new user credits (welcome credits), those are spent. She asks until the balance is
        0 or a question is refused for want of credits, at most `spend_down_replies` times; beyond that the
        promise is not checked. Whatever a reply costs, the last one takes what is left (or more)."""
        person = self.people[name]
        if self.starting_balances[name] <= 0:
            credits = max(1, math.ceil(self.suite.bank.price or 1))
            answer = self.person("the administrator").allocate(person.user_id, credits)
            require(answer, is_accepted(f"allocating {credits} credits to {name} to spend", 201))
        limit, last, balance = self.suite.config.spend_down_replies, None, person.balance()
        self.conversation = person.start_conversation()
        for _ in range(limit):
            reply = person.ask_for_reply(self.conversation, "Spending my credits")
            if reply.stream.status == 402:
                break
            require(reply.stream, is_accepted(f"{name}'s reply while she spends her credits down"))
            last = reply
            balance = person.balance()
            if balance <= 0:
                break
        else:
            raise NotCheckable(
                f"{name} still has {balance:g} credits after {limit} replies (-D spend_down_replies): this "
                "deployment's welcome credits are too many to reach a user without credits"
            )
        self.starting_balances[name] = person.balance()
        return last

    def paid_reply(self, name: str, question: str) -> Reply:
        """A reply `name` has received in a new conversation (the scenario's), once its charge shows in her
        balance (within the confirmation window), which then is her starting one: what a later reply costs
        is measured from there."""
        before = self.starting_balances[name]
        self.reply = self.received_reply(name, question)
        self.conversation = self.reply.conversation_id
        self.starting_balances[name] = self.person(name).balance_when(lambda balance: balance < before)
        return self.reply

    def remove_user_if_created(self, answer: ApiResponse, username: str) -> None:
        """Whoever created a user (rightly or not), the administrator removes it after the scenario."""
        user_id = answer.field("userId")
        if answer.status != 201 or user_id in (None, ""):
            return
        if self.suite.account("the administrator") is None:
            print(f"kept user {username}: no administrator is configured to remove it")
            return
        admin = self.person("the administrator")
        self.add_cleanup(f"delete user {username}", lambda: admin.delete_user(str(user_id)))

    def other_id(self, kind: OtherId) -> str:
        """An ID other than the reply's own, of the given kind."""
        if kind is OtherId.MADE_UP:
            return made_up_streaming_id()
        source = {
            OtherId.LOOKALIKE: self.reply,
            OtherId.EARLIER_REPLY: self.earlier_reply,
            OtherId.OTHER_CONVERSATION: self.other_reply,
        }[kind]
        issued = source.streaming_session_id if source is not None else None
        if issued is None:
            raise AssertionError(f"the scenario has no such reply to take the ID from\nasked for: {kind.value}")
        return lookalike_of(issued) if kind is OtherId.LOOKALIKE else issued

    def protect(self, what: str, owner: str) -> consequences.Protected:
        """Snapshots `owner`'s conversation (the scenario's reply's, or the one it started) before a
        confirmation that must change only its latest reply. Call it right before the confirmation."""
        reply = self.reply if self.reply is not None and self.reply.owner == owner else None
        conversation = reply.conversation_id if reply else self.conversation
        self.protected = consequences.protect(what, owner=self.person(owner), conversation_id=conversation, reply=reply)
        return self.protected

    def confirm_someone_elses_reply(self, name: str, owner: str, text: str) -> ApiResponse:
        """`name` confirms `owner`'s reply as `text`: first with an ID she does not hold (so that an answer that
        reveals the owner's ID has something to reveal), then with the reply's own ID; returns the last answer."""
        reply, person = self.reply_of(owner), self.person(name)
        person.confirm(reply, made_up_streaming_id(), text)
        return person.confirm(reply, reply.streaming_session_id, text)

    def make_sure_reply_id_is_stored(self) -> None:
        """A deployment may store the issued ID a little after done; before that, every ID gets the mismatch, and
        a refusal sent then would prove nothing. Confirming with the own ID and text first makes sure it is."""
        reply = self.the_reply()
        person = self.person(reply.owner)
        with self.invariants.setting_up():
            answer = person.confirm_with_own_id(reply)
        require(answer, is_accepted(f"{person.name} confirming the reply first"))

    def confirm_again(self, name: str, times: int) -> list[ApiResponse]:
        """`name` confirms the scenario's reply with its own ID `times` times, the repeats through the run's pool;
        their exchanges reach this step's report."""
        person, reply = self.person(name), self.the_reply()
        with self.invariants.batch():
            answers = [person.confirm_with_own_id(reply)]  # seen as it happens: it may wait for a late store
            with self.suite.platform.transport.delivered_here():
                answers += person.confirm_repeatedly(reply, times - 1, pool=self.suite.pool)
        return answers

    def try_near_misses(self, family: str) -> list[near_miss_trials.Attempt]:
        """Confirms the scenario's reply once with each near miss of its ID from `family`, each time with an
        attacker's text (numbered, so that a saved one says which attempt it was), a few at once and within the
        family's time budget, and attaches to the report every value sent and the answer, and how many were
        tried in how long. The attempts are one batch for the consequence invariant."""
        reply, config = self.the_reply(), self.suite.config
        person = self.person(reply.owner)
        self.make_sure_reply_id_is_stored()
        candidates = near_misses.near_misses(  # no ID at all (None) is refused as an empty one
            reply.streaming_session_id or "", family, run_seed=config.seed, limit=config.near_misses_per_family
        )
        with self.invariants.batch(), self.suite.platform.transport.delivered_here():  # exchanges: this step's
            tried = near_miss_trials.try_all(
                candidates,
                lambda value, number: person.confirm(reply, value, forgery.attacker_text(number)),
                pool=self.suite.pool,
                budget_s=config.near_miss_budget_s,
            )
        self.attempts = tried.attempts
        attach_text(
            f"near misses tried: {family}",
            near_miss_trials.report(
                family,
                tried,
                run_seed=config.seed,
                limit=config.near_misses_per_family,
                issued=reply.streaming_session_id,
            ),
            self.suite.platform.transport.redactor,
        )
        attach_json(
            NEAR_MISS_TIMING,
            {"sent": len(tried.attempts), "planned": tried.planned, "seconds": round(tried.seconds, 6)},
        )
        return self.attempts

    def conversation_of(self, name: str) -> str:
        """`name`'s conversation: that of the scenario's reply when it is theirs, else the one they last used."""
        if self.reply is not None and self.reply.owner == name:
            return self.reply.conversation_id
        person = self.people.get(name)
        conversation = person.latest_conversation if person is not None else None
        if conversation is None:
            raise AssertionError(f"{name} has no conversation in this scenario")
        return conversation

    def told(self, name: str) -> ApiResponse | StreamResult:
        """What the platform last answered `name`'s own action in this scenario."""
        answer = self.people[name].last_answer if name in self.people else None
        if answer is None:
            raise AssertionError(f"{name} has not asked the platform anything in this scenario")
        return answer

    def the_reply(self) -> Reply:
        """The reply the scenario is about: a step that needs it before a Given received one is a scenario's
        mistake."""
        if self.reply is None:
            raise AssertionError("no reply has been received in this scenario")
        return self.reply

    def the_answer(self) -> ApiResponse:
        """The platform's answer to the scenario's last request, which must be an answer, not a stream."""
        if not isinstance(self.answer, ApiResponse):
            raise AssertionError(f"the scenario's last request got {type(self.answer).__name__}, not an answer")
        return self.answer

    def the_conversation(self) -> str:
        """The conversation the scenario is about: a step that needs it before a Given started one is a
        scenario's mistake."""
        if self.conversation is None:
            raise AssertionError("no conversation has been started in this scenario")
        return self.conversation

    def reply_of(self, name: str) -> Reply:
        """The scenario's reply, which must be `name`'s."""
        if self.reply is None or self.reply.owner != name:
            raise AssertionError(f"{name} has received no reply in this scenario")
        return self.reply
