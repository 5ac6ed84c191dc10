"""The model behind the chat service: one small interface, and a deterministic built-in implementation.

An upstream LLM can be added later as another `ReplyModel`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Protocol


class ReplyModel(Protocol):
    id: str
    name: str

    def stream_reply(self, prompt: str) -> AsyncIterator[str]:
        """The reply to `prompt`, piece by piece."""
        ...

    def tokens_used(self, prompt: str, reply: str) -> int:
        """What the reply cost, in tokens (a positive integer)."""
        ...


class BuiltinModel:
    """Replies with a sentence derived from the prompt, in at most `chunks` pieces, `chunk_delay` s apart."""

    id = "reference-echo"
    name = "Reference echo model (built in, deterministic)"

    def __init__(self, chunks: int = 5, chunk_delay: float = 0.05, min_reply_chars: int = 0) -> None:
        self.chunks = chunks
        self.chunk_delay = chunk_delay
        self.min_reply_chars = min_reply_chars  # a wordier model (expensive_model): replies at least this long

    def compose_reply(self, prompt: str) -> str:
        excerpt = " ".join(prompt.split()[:40])[:300] or "(nothing)"
        reply = f'You said: "{excerpt}". This is the reference model, answering you in a few pieces.'
        while len(reply) < self.min_reply_chars:
            reply += " It has more to say about that."
        return reply

    async def stream_reply(self, prompt: str) -> AsyncIterator[str]:
        for index, piece in enumerate(split_into_pieces(self.compose_reply(prompt), self.chunks)):
            if index and self.chunk_delay:
                await asyncio.sleep(self.chunk_delay)
            yield piece

    def tokens_used(self, prompt: str, reply: str) -> int:
        return max(1, len(reply.split()))


def split_into_pieces(text: str, count: int) -> list[str]:
    """Splits text at word boundaries into at most `count` non-empty pieces that join back to `text`."""
    words = text.split(" ")
    count = max(1, min(count, len(words)))
    size, extra = divmod(len(words), count)
    pieces, start = [], 0
    for index in range(count):
        end = start + size + (1 if index < extra else 0)
        last = index == count - 1
        pieces.append(" ".join(words[start:end]) + ("" if last else " "))
        start = end
    return pieces
