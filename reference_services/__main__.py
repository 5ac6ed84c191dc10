"""python -m reference_services: runs auth, accounting and chat until Ctrl-C or SIGTERM.

python -m reference_services                        # ports 3000, 3001, 3002
python -m reference_services --fault late_id_store  # with a fault switched on (repeatable)
python -m reference_services --list-faults          # the fault registry
"""

from __future__ import annotations

import argparse
import math
import os
import signal
import sys
import threading
from pathlib import Path
from typing import NoReturn

from reference_services.faults import ActiveFaults, UnknownFaultError, faults_table
from reference_services.platform import PlatformSettings, PlatformStartError, start_platform

PROGRAM = "python -m reference_services"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One clear line instead of argparse's usage block.
        self.exit(2, f"{PROGRAM}: error: {message} (see --help)\n")


def port(text: str) -> int:
    number = int(text)
    if not 0 <= number <= 65535:
        raise argparse.ArgumentTypeError(f"{text} is not a port number")
    return number


def count(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} must be at least 1")
    return value


def seconds(text: str) -> float:
    value = float(text)
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"{text} must not be negative")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROGRAM, description="Run the reference chat platform (auth, accounting, chat).")
    parser.add_argument("--auth-port", type=port, default=3000)
    parser.add_argument("--accounting-port", type=port, default=3001)
    parser.add_argument("--chat-port", type=port, default=3002)
    parser.add_argument("--data-dir", type=Path, help="where the SQLite files live (default: a temporary directory)")
    parser.add_argument("--jwt-secret", help="shared HS256 secret (default: $JWT_SECRET, else random)")
    parser.add_argument("--model-chunks", type=count, default=5, help="pieces per reply (default 5)")
    parser.add_argument("--model-chunk-delay", type=seconds, default=0.05, help="seconds between pieces (default 0.05)")
    parser.add_argument("--fault", action="append", default=[], metavar="NAME", help="switch a fault on (repeatable)")
    parser.add_argument("--list-faults", action="store_true", help="print the fault registry and exit")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.list_faults:
        print(faults_table())
        return 0
    try:
        ActiveFaults(args.fault)
    except UnknownFaultError as error:
        parser.error(str(error))
    settings = PlatformSettings(
        auth_port=args.auth_port,
        accounting_port=args.accounting_port,
        chat_port=args.chat_port,
        data_dir=args.data_dir,
        jwt_secret=args.jwt_secret or os.environ.get("JWT_SECRET") or None,
        model_chunks=args.model_chunks,
        model_chunk_delay=args.model_chunk_delay,
        faults=frozenset(args.fault),
    )
    stop_requested = threading.Event()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signal_number, lambda *_: stop_requested.set())
    try:
        platform = start_platform(settings)
    except (OSError, PlatformStartError) as error:
        print(f"{PROGRAM}: could not start: {error}", file=sys.stderr)
        return 1
    with platform:
        print(f"auth       {platform.auth_url}")
        print(f"accounting {platform.accounting_url}")
        print(f"chat       {platform.chat_url}")
        print(f"data       {platform.data_dir}{' (removed on stop)' if args.data_dir is None else ''}")
        if settings.faults:
            print(f"faults     {', '.join(sorted(settings.faults))}")
        print("Ctrl-C to stop.", flush=True)
        while not stop_requested.wait(0.5):
            pass
    print("stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
