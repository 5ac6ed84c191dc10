"""Serves one reference service with several uvicorn worker processes sharing one data directory.

    REFERENCE_JWT_SECRET=... REFERENCE_DATA_DIR=/var/tmp/chat-data REFERENCE_ACCOUNTING_URL=http://127.0.0.1:3001 \\
        python -m reference_services.serve chat --workers 4 --port 3002

Settings come from the REFERENCE_* variables (see reference_services.settings). The same apps also run under
plain `uvicorn --factory reference_services.asgi:chat_app --workers 4`, but uvicorn's own multi-worker socket
is created without IPPROTO_TCP, so asyncio never sets TCP_NODELAY on its connections and every keep-alive
response stalls ~40 ms (Nagle against delayed ACKs): this launcher binds the socket properly instead.
"""

from __future__ import annotations

import argparse
import sys

import uvicorn
from uvicorn.supervisors import Multiprocess

from reference_services.platform import GRACEFUL_SHUTDOWN_SECONDS, KEEP_ALIVE_SECONDS, bind_socket
from reference_services.settings import ServiceSettings, SettingsError
from reference_services.web.protocol import JsonErrorsH11Protocol

DEFAULT_PORTS = {"auth": 3000, "accounting": 3001, "chat": 3002}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reference_services.serve", description=__doc__.split("\n")[0])
    parser.add_argument("service", choices=sorted(DEFAULT_PORTS))
    parser.add_argument("--port", type=int, help="default: 3000 auth, 3001 accounting, 3002 chat")
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)
    try:
        ServiceSettings.from_environment()  # fail here, once, rather than in every worker
    except SettingsError as error:
        print(f"reference_services.serve: {error}", file=sys.stderr)
        return 2
    port = DEFAULT_PORTS[args.service] if args.port is None else args.port
    config = uvicorn.Config(
        f"reference_services.asgi:{args.service}_app",
        factory=True,
        host="127.0.0.1",
        port=port,
        workers=args.workers,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        access_log=False,
        http=JsonErrorsH11Protocol,  # JSON 400s before the app, and streams told of a shutdown
        # Idle keep-alive connections are kept longer than a client's longest pause between two calls (a stream
        # on another connection): closing one just as the client reuses it loses that request.
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
    )
    sock = bind_socket("127.0.0.1", port)
    print(f"{args.service} http://127.0.0.1:{sock.getsockname()[1]} ({args.workers} worker(s))", flush=True)
    if args.workers > 1:
        Multiprocess(config, sockets=[sock]).run()
    else:
        uvicorn.Server(config).run(sockets=[sock])
    return 0


if __name__ == "__main__":
    sys.exit(main())
