"""Requests generated from contract/openapi.yaml, sent to a running reference platform, every answer checked.

Schemathesis generates each operation's requests from the contract document itself (not from FastAPI's own
schema) and sends them to the service root that the path's `servers` name, with a real access token. Every
answer is checked twice, by Schemathesis' checks and by the suite's ContractChecker: both must find it
conforming. Hypothesis is driven directly (schemathesis' pytest integration crashes under pytest 9).

(A module of its own, with a unique name: several test directories have a conftest.py.)
"""

from __future__ import annotations

import json
import os
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import requests
import schemathesis
import sseclient
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from chat_acceptance.contract.checker import DEFAULT_DOCUMENT, ContractChecker
from chat_acceptance.contract.violation import ContractViolation
from reference_services import RunningPlatform

# Hypothesis keeps a cache directory (unicode tables); keep it out of the working tree.
set_hypothesis_home_dir(os.path.join(tempfile.gettempdir(), "reference-conformance-hypothesis"))

with DEFAULT_DOCUMENT.open(encoding="utf-8") as _stream:
    DOCUMENT: dict[str, Any] = yaml.safe_load(_stream)

# The token is sent by the kit; generated Authorization headers would only ever get 401.
# The stream's events are read to the end (Schemathesis stops after 20 by default).
CONFIG = schemathesis.Config.from_dict({"generation": {"with-security-parameters": False}, "max-stream-events": 1000})
SCHEMATHESIS_CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
TIMEOUT = (3.0, 10.0)  # (connect, read) for every request; the read half also bounds a whole event stream
MAX_EXAMPLES = 25
# The contract's accounts on a fresh deployment: never deleted by a generated request.
SEEDED_ACCOUNTS = {"admin": "admin@admin", "supervisor1": "Supervisor1@", "user1": "User1@123", "user2": "User2@123"}
TEST_USER = "user1"
SECOND_USER = "user2"
ADMIN = "admin"
CREDITS = 1_000_000  # for the test user's streams
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "options", "head", "trace")


class NonConformance(AssertionError):
    """An answer against the contract; the message names who found it: Schemathesis, ContractChecker, Stream."""


@dataclass(frozen=True)
class Target:
    """One operation of the document, on one of the servers its path names (GET /health is on two)."""

    operation_id: str
    method: str
    path: str
    service: str  # auth | accounting | chat
    default_root: str  # the server URL in the document

    @property
    def name(self) -> str:
        return f"{self.operation_id}@{self.service}"

    @property
    def operation(self) -> dict[str, Any]:
        return DOCUMENT["paths"][self.path][self.method]

    @property
    def takes_body(self) -> bool:
        """Negative cases need a body to make invalid: the only parameters are string path parameters, and any
        text in a path is a string."""
        return "requestBody" in self.operation

    @property
    def role_checked(self) -> bool:
        """Whether the operation may answer 403: it needs a role, so it is called with an admin's token."""
        return "403" in self.operation["responses"]

    @property
    def is_public(self) -> bool:
        return self.operation.get("security", DOCUMENT.get("security")) == []


def service_of(server: dict[str, str]) -> str:
    return server["description"].split()[0]  # "auth service" -> auth


def targets() -> list[Target]:
    """Every operation of the document on every server its path names."""
    found = []
    for path, item in DOCUMENT["paths"].items():
        for server in item.get("servers") or DOCUMENT["servers"]:
            for method in HTTP_METHODS:
                if method in item:
                    found.append(Target(item[method]["operationId"], method, path, service_of(server), server["url"]))
    return found


def sse_events(body: bytes) -> Iterator[tuple[str, str]]:
    """(event name, data) of each event in an event stream's body, by sseclient-py."""
    for event in sseclient.SSEClient(iter([body])).events():
        yield event.event, event.data


class Conformance:
    """The generated requests of one running platform, with the accounts and credits they need."""

    def __init__(self, platform: RunningPlatform) -> None:
        self.platform = platform
        # The document's default roots -> the running services' URLs.
        self.roots = {server["url"]: getattr(platform, f"{service_of(server)}_url") for server in DOCUMENT["servers"]}
        self.schema = schemathesis.openapi.from_dict(DOCUMENT, config=CONFIG)
        self.checker = ContractChecker.load()
        self.http = requests.Session()
        self.http.trust_env = False  # never through a proxy from the environment
        logins = {name: self._login(name, password) for name, password in SEEDED_ACCOUNTS.items()}
        self.user_token = logins[TEST_USER]["accessToken"]
        self.admin_token = logins[ADMIN]["accessToken"]
        # A user id or username: GET /api/credits/balance/{userId} and allocations take either.
        self.known_user_refs = [SECOND_USER, logins[SECOND_USER]["user"]["id"]]
        self.protected_user_refs = {*SEEDED_ACCOUNTS, *(login["user"]["id"] for login in logins.values())}
        allocation = {"userId": TEST_USER, "credits": CREDITS}
        self._call("POST", "accounting", "/api/credits/allocate", self.admin_token, allocation, expect=201)

    # ------------------------------------------------------------------ the run

    def run(self, target: Target, mode: GenerationMode, max_examples: int = MAX_EXAMPLES) -> None:
        """Sends up to max_examples generated requests; raises NonConformance at the first bad answer."""
        strategy = self.schema[target.path][target.method.upper()].as_strategy(generation_mode=mode)
        token = self.admin_token if target.role_checked else self.user_token
        headers = {} if target.is_public else {"Authorization": f"Bearer {token}"}
        base_url = self.roots[target.default_root]

        @given(case=strategy, data=st.data())
        @settings(
            max_examples=max_examples,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.generate],  # no shrinking: each example is a few HTTP calls
            report_multiple_bugs=False,
            suppress_health_check=list(HealthCheck),
        )
        def every_answer_conforms(case: Case, data: st.DataObject) -> None:
            self._use_real_values(target, case, mode, data.draw)
            response = case.call(base_url=base_url, session=self.http, headers=headers, timeout=TIMEOUT)
            self._check(target, case, response)

        every_answer_conforms()

    def _check(self, target: Target, case: Case, response: schemathesis.Response) -> None:
        """Both checkers look at every answer, so a failure shows whether they agree."""
        problems = []
        try:
            case.validate_response(response, checks=SCHEMATHESIS_CHECKS)
        except FailureGroup as failures:
            problems.append(f"Schemathesis: {failures}")
        stream = "x-sse-events" in target.operation and response.status_code == 200
        try:
            headers = {name: ", ".join(values) for name, values in response.headers.items()}
            url = response.request.url  # the checker finds the operation from the path, as in the suite
            self.checker.check_response(target.method, url, response.status_code, headers, response.content)
            for name, data in sse_events(response.content) if stream else ():
                self.checker.check_event(target.method, target.path, name, data)
        except ContractViolation as violation:
            problems.append(f"ContractChecker: {violation}")
        if stream:
            last = _last_event(target, response)
            if response.stream_cut_short:  # still open when the read timeout ran out
                problems.append(f"Stream: still open after {TIMEOUT[1]} s, last event {last}")
            elif last not in ("done", "error"):
                problems.append(f"Stream: must end with done or error, ended after {last}")
        if problems:
            request = f"{case.method} {response.request.url} body={_shown(case.body)}"
            raise NonConformance("\n".join([request, *problems]))

    # ------------------------------------------------------------------ real values for generated requests

    def _use_real_values(
        self, target: Target, case: Case, mode: GenerationMode, draw: Callable[[st.SearchStrategy], Any]
    ) -> None:
        """About half the cases get a real session or user, so that they get past 404 to the answers that matter.

        Negative cases keep their body: only what was made invalid there would be lost.
        """
        params = case.path_parameters or {}
        body = case.body if mode is GenerationMode.POSITIVE and isinstance(case.body, dict) else None
        operation = target.operation_id

        def real() -> bool:
            # Not st.booleans(): after a large generated case Hypothesis mostly picks its simplest value, False.
            return draw(st.integers(0, 3)) != 0

        if operation == "deleteUser":
            # Only users of its own: a seeded account is never a generated request's victim.
            if real() or params["userId"] in self.protected_user_refs:
                params["userId"] = self._throwaway_user_id()
        elif operation == "getUserBalance" and real():
            params["userId"] = draw(st.sampled_from(self.known_user_refs))
        elif "sessionId" in params and real():
            params["sessionId"], streaming_session_id = self._session(streamed=operation == "confirmReply")
            if operation == "confirmReply" and body is not None and real():  # else a generated, wrong ID
                body["streamingSessionId"] = streaming_session_id
        elif operation == "createUser" and body is not None and real():
            # The contract leaves "invalid" open: the reference wants a plain name, an e-mail and 8 characters.
            username = _unique_username()
            body.update(username=username, email=f"{username}@example.com", password="Generated1!")
        elif operation == "login" and body is not None and real():
            body.update(username=TEST_USER, password=SEEDED_ACCOUNTS[TEST_USER])
        elif operation == "allocateCredits" and body is not None and real():
            body["userId"] = draw(st.sampled_from(self.known_user_refs))

    def _session(self, *, streamed: bool) -> tuple[str, str | None]:
        """A new session of the test user and, if streamed, the streaming session ID of its one reply."""
        session_id = self._call(
            "POST", "chat", "/api/chat/sessions", self.user_token, {"title": "conformance"}, expect=201
        ).json()["sessionId"]
        if not streamed:
            return session_id, None
        with self._call(
            "POST",
            "chat",
            f"/api/chat/sessions/{session_id}/stream",
            self.user_token,
            {"message": "Hello"},
            expect=200,
            stream=True,
        ) as response:
            for _ in response.iter_content(chunk_size=None):
                pass  # read to the end: the reply is saved and the ID confirmable
            return session_id, response.headers["X-Streaming-Session-Id"]

    def _throwaway_user_id(self) -> str:
        username = _unique_username()
        body = {
            "username": username,
            "email": f"{username}@example.com",
            "password": "Throwaway1!",
            "role": "enduser",
            "skipVerification": True,
        }
        return self._call("POST", "auth", "/api/admin/users", self.admin_token, body, expect=201).json()["userId"]

    # ------------------------------------------------------------------ plumbing

    def _login(self, username: str, password: str) -> dict[str, Any]:
        body = {"username": username, "password": password}
        return self._call("POST", "auth", "/api/auth/login", None, body, expect=200).json()

    def _call(
        self, method: str, service: str, path: str, token: str | None, body: Any, *, expect: int, stream: bool = False
    ) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        url = getattr(self.platform, f"{service}_url") + path
        response = self.http.request(method, url, json=body, headers=headers, timeout=TIMEOUT, stream=stream)
        assert response.status_code == expect, f"{method} {path}: {response.status_code} {response.text[:200]}"
        return response


def _last_event(target: Target, response: schemathesis.Response) -> str | None:
    """The last of the events the operation names (chunk, done, error), or None."""
    names = [name for name, _ in sse_events(response.content) if name in target.operation["x-sse-events"]]
    return names[-1] if names else None


def _unique_username() -> str:
    return f"conformance{uuid.uuid4().hex[:12]}"


def _shown(body: Any) -> str:
    text = json.dumps(body, default=repr, ensure_ascii=False)
    return text if len(text) <= 200 else text[:199] + "…"
