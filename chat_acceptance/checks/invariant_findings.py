"""What an invariant finds, and the small predicates on one exchange it is judged with: a refusal, a mismatch
answer, a page's allowed origin, the conversation a path names and the conversations an answer shows."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import unquote

from chat_acceptance.checks.matchers import is_mismatch

LEAK = "leak"
CONSEQUENCE = "consequence"
CONFIRMS_AGAIN = "confirms again"
CORS = "cors"
OTHERS_CONVERSATION = "another's conversation"

_CONVERSATION = re.compile(r"^/api/chat/sessions/([^/]+)")


class Finding(AssertionError):
    """One broken invariant: the first line is the same in every run for the same defect; details follow."""

    def __init__(self, kind: str, headline: str, details: str = ""):
        super().__init__(headline + (f"\n{details}" if details else ""))
        self.kind = kind
        self.headline = headline


def allowed_origin_problem(origin: str, headers: Any) -> str | None:
    """What is wrong with the answer's Access-Control-Allow-Origin for a page on `origin` (None: nothing): it
    must name that origin, or be `*` where credentials are not allowed (contract: "naming that Origin (or `*`)")."""
    allowed = headers.get("Access-Control-Allow-Origin")
    credentials = (headers.get("Access-Control-Allow-Credentials") or "").strip().lower() == "true"
    if allowed == origin or allowed == "*" and not credentials:
        return None
    if allowed is None:
        return "there is no Access-Control-Allow-Origin"
    if allowed == "*":
        return "Access-Control-Allow-Origin is * while Access-Control-Allow-Credentials is true"
    return f"Access-Control-Allow-Origin is {allowed!r}"


def is_refusal(status: int | None) -> bool:
    return status is not None and 400 <= status < 500 and status != 429


def is_mismatch_answer(status: int | None, body: str | None) -> bool:
    try:
        message = json.loads(body or "").get("message")
    except (ValueError, AttributeError):
        return False
    return is_mismatch(status, message)


def session_ids_in(body: str | None) -> list[str]:
    """The sessionId of a JSON answer, or of each session of its list."""
    try:
        answer = json.loads(body or "")
    except ValueError:
        return []
    sessions = answer.get("sessions") if isinstance(answer, dict) else None
    items = [answer, *(sessions if isinstance(sessions, list) else [])]
    return [item["sessionId"] for item in items if isinstance(item, dict) and isinstance(item.get("sessionId"), str)]


def conversation_of(path: str) -> str | None:
    match = _CONVERSATION.match(path)
    return unquote(match.group(1)) if match else None
