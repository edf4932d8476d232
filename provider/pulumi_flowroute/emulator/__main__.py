"""``python -m pulumi_flowroute.emulator``: ``serve`` runs the emulator as an HTTP server;
``review-cnam`` decides Flowroute's review of a caller-name record in a state file; ``fill``
puts an account in use (numbers, routes, routing, E911, caller names) in a state file."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from . import inventory
from .exceptions import EmulatorError
from .models import FlowrouteBackend
from .server import make_emulator_server

ACCESS_KEY_ENV = "FLOWROUTE_EMULATOR_ACCESS_KEY"
SECRET_KEY_ENV = "FLOWROUTE_EMULATOR_SECRET_KEY"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m pulumi_flowroute.emulator", description="Flowroute v2 API emulator"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the emulated API over HTTP on loopback")
    serve.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to bind (default 127.0.0.1; the client only sends "
        "credentials over plain http to loopback)",
    )
    serve.add_argument("--port", type=int, default=8080, help="port; 0 picks a free one")
    serve.add_argument(
        "--db", default=":memory:", help="SQLite state file (default: in memory, lost on exit)"
    )
    serve.add_argument(
        "--access-key",
        default=os.environ.get(ACCESS_KEY_ENV),
        help=f"the only access key accepted (default: ${ACCESS_KEY_ENV}, else any)",
    )
    keys = serve.add_mutually_exclusive_group()
    keys.add_argument(
        "--secret-key-file",
        type=Path,
        help="read the only secret key accepted from this file (its first line)",
    )
    keys.add_argument(
        "--secret-key",
        default=os.environ.get(SECRET_KEY_ENV),
        help=f"the only secret key accepted (default: ${SECRET_KEY_ENV}, else any); "
        "prefer the variable or --secret-key-file, as `ps` shows a command line",
    )
    serve.add_argument(
        "--seed",
        type=int,
        default=inventory.DEFAULT_SEED,
        help="inventory seed for a new state file",
    )
    serve.add_argument(
        "--request-log-limit",
        type=int,
        metavar="N",
        help="keep the last N requests in the log (default 10,000)",
    )
    serve.add_argument(
        "--fill-account",
        type=int,
        metavar="N",
        help="start from an account in use: N numbers with routes, routing, E911 and caller "
        "names (forgets what the state file held)",
    )
    fill = commands.add_parser(
        "fill",
        help="forget a state file's account and fill it as one in use (for onboarding demos)",
    )
    fill.add_argument("--db", required=True, help="the emulator's SQLite state file")
    fill.add_argument("--numbers", type=int, default=25, help="how many numbers (default 25)")
    review = commands.add_parser(
        "review-cnam",
        help="approve (or reject) a caller-name record pending review, as Flowroute would",
    )
    review.add_argument("--db", required=True, help="the emulator's SQLite state file")
    review.add_argument("cnam_id", help="the record's id (a CnamRecord's cnam_id output)")
    review.add_argument("--reject", metavar="REASON", help="reject it, with this reason")
    return parser


def _review_cnam(args: argparse.Namespace) -> int:
    if not Path(args.db).is_file():
        print(f"no emulator state file at {args.db}", file=sys.stderr)
        return 2
    backend = FlowrouteBackend(args.db)
    try:
        record = backend.decide_cnam(args.cnam_id, args.reject)
    except EmulatorError as error:
        print(f"caller-name record {args.cnam_id}: {error.detail}", file=sys.stderr)
        return 1
    finally:
        backend.close()
    verdict = f"rejected ({record.rejection_reason})" if args.reject else "approved"
    print(f"caller-name record {record.id} ({record.value}) {verdict}")
    return 0


def _fill(args: argparse.Namespace) -> int:
    backend = FlowrouteBackend(args.db)
    try:
        backend.fill_account(args.numbers)
    except ValueError as error:
        print(f"cannot fill the account: {error}", file=sys.stderr)
        return 2
    finally:
        backend.close()
    print(f"{args.db}: an account in use with {args.numbers} numbers")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "review-cnam":
        return _review_cnam(args)
    if args.command == "fill":
        return _fill(args)
    if args.secret_key_file is not None:
        try:
            args.secret_key = args.secret_key_file.read_text().splitlines()[0].strip()
        except (OSError, IndexError) as error:
            print(f"cannot read a secret key from {args.secret_key_file}: {error}", file=sys.stderr)
            return 2
    if bool(args.access_key) != bool(args.secret_key):
        print(
            "give both an access key and a secret key, or neither "
            f"(--access-key / ${ACCESS_KEY_ENV}, --secret-key-file / ${SECRET_KEY_ENV})",
            file=sys.stderr,
        )
        return 2
    backend = FlowrouteBackend(args.db, seed=args.seed)
    if args.request_log_limit is not None:
        backend.request_log_limit = args.request_log_limit
    if args.fill_account is not None:
        backend.fill_account(args.fill_account)
    server = make_emulator_server(
        backend,
        host=args.host,
        port=args.port,
        access_key=args.access_key,
        secret_key=args.secret_key,
    )

    def stop(signum: int, frame: FrameType | None) -> None:
        # shutdown() waits for serve_forever to return, so it must run on another thread.
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    host, port = str(server.server_address[0]), int(server.server_address[1])
    print(f"http://{host}:{port}", flush=True)
    print(
        f"Flowroute emulator serving on http://{host}:{port} (state: {args.db}); Ctrl-C stops it",
        file=sys.stderr,
        flush=True,
    )
    try:
        server.serve_forever()
    finally:
        server.server_close()
        backend.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
