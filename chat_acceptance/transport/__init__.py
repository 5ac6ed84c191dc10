"""Talking to the platform: one HTTP client per service, every exchange recorded, and the SSE reader."""
