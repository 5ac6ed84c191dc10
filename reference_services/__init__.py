"""A reference implementation of the chat platform's HTTP contract (docs: ../shared/contract.md beside the repository).

Three FastAPI services, auth, accounting and chat, each with its own SQLite file, that honour the contract and
can break it on purpose (reference_services.faults). Start them in-process with `start_platform`, from the
command line with `python -m reference_services`, or one at a time with uvicorn (reference_services.asgi).
"""

from reference_services.platform import PlatformSettings, RunningPlatform, start_platform

__all__ = ["PlatformSettings", "RunningPlatform", "start_platform"]
