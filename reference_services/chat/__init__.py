"""The chat service: sessions, streamed replies (SSE) and their confirmation with the streaming session ID."""

from reference_services.chat.app import create_app

__all__ = ["create_app"]
