"""Command line: ``python -m conformance.reference serve|faults``.

``serve`` provisions the database, binds the socket itself (``--port 0`` picks a free port), then, once the
socket listens, writes the suite configuration atomically and prints exactly one line
``listening on http://HOST:PORT/v1``. Operator mistakes (unknown fault, unusable database path, port in
use, a profile file that is not TOML or has an unknown key or a wrong value) are one line on stderr and exit
status 2, never a traceback. ``--timing-log FILE`` appends one JSON line per request (``ts``, ``method``,
``path``, ``status``, ``duration_ms`` = the ``Server-Timing`` figure) to FILE. ``--profile FILE`` makes the
server play a profile (:mod:`behaviour`) and repeats it in the written configuration's ``[profile]`` table.
"""

from __future__ import annotations

import argparse
import logging
import socket
import sqlite3
import sys
from pathlib import Path

import uvicorn

from . import faults
from .app import create_app
from .behaviour import REFERENCE, BehaviourError, load_profile, with_denied_status
from .errors import MediaRejected
from .provision import provision, render_config, write_config
from .settings import Settings
from .storage import Storage

EXIT_USAGE = 2
GRACEFUL_SHUTDOWN_S = 2  # a request parked by the hang-file fault must not block shutdown


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m conformance.reference", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the reference server")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=0, help="port to bind; 0 picks a free one (default 0)")
    serve.add_argument("--db", required=True, type=Path, help="SQLite database file (created if missing)")
    serve.add_argument("--write-config", type=Path, help="write the suite configuration TOML here once listening")
    serve.add_argument("--fault", action="append", default=[], metavar="NAME", help="enable a planted fault")
    serve.add_argument("--profile", type=Path, metavar="FILE",
                       help="play this profile (the keys of conformance/profiles/reference.toml, any subset, plus a "
                            "[serve] table); it is repeated as [profile] in the written configuration")
    serve.add_argument("--denied-status", type=int, choices=(403, 404), default=None,
                       help="status for a space the caller may not use or that does not exist (default 404); "
                            "the same as denied_statuses = [N], hide_existence = true in a profile")
    serve.add_argument("--timing-log", type=Path, metavar="FILE",
                       help="append one JSON line per request (method, path, status, duration_ms) to FILE")
    commands.add_parser("faults", help="list the planted faults: name, requirement ids, description")
    return parser


def fail(message: str) -> int:
    sys.stderr.write(f"conformance.reference: error: {message}\n")
    return EXIT_USAGE


def check_db_path(db: Path) -> str | None:
    """Why ``db`` cannot be the database file, or None when it can."""
    if db.is_dir():
        return f"--db {db} is a directory, not a database file"
    if not db.parent.is_dir():
        return f"--db {db}: directory {db.parent} does not exist"
    return None


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto=IPPROTO_TCP matters: asyncio sets TCP_NODELAY only on sockets whose proto says TCP, and without it
    # every keep-alive response (headers and body written separately) waits ~40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    return sock


def base_url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    if host in ("0.0.0.0", ""):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}/v1"


def serve(args: argparse.Namespace) -> int:
    bad = faults.unknown(args.fault)
    if bad:
        return fail(f"unknown fault {', '.join(map(repr, bad))}; valid faults: {', '.join(faults.NAMES)}")
    problem = check_db_path(args.db)
    if problem:
        return fail(problem)
    if args.timing_log is not None:
        try:
            args.timing_log.open("a").close()
        except OSError as exc:
            return fail(f"cannot write the timing log {args.timing_log}: {exc.strerror or exc}")
    behaviour, profile = REFERENCE, None
    if args.profile is not None:
        try:
            behaviour, profile = load_profile(args.profile)
        except BehaviourError as exc:
            return fail(str(exc))
    if args.denied_status is not None:
        behaviour = with_denied_status(behaviour, args.denied_status)
        if profile is not None:
            profile = {**profile, "denied_statuses": [args.denied_status], "hide_existence": True}
    settings = Settings(
        db_path=args.db, behaviour=behaviour, faults=frozenset(args.fault), timing_log=args.timing_log
    )
    try:
        provisioned = provision(Storage(args.db), behaviour)
        app = create_app(settings)
    except (sqlite3.Error, OSError) as exc:
        return fail(f"cannot use database {args.db}: {exc}")
    except MediaRejected as exc:
        return fail(f"the profile's limits refuse the provisioned sample audio: {exc.reason}")
    try:
        sock = bind(args.host, args.port)
    except OSError as exc:
        return fail(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}")
    base_url = base_url_of(sock)
    if args.write_config:
        try:
            write_config(args.write_config, render_config(base_url, provisioned, profile))
        except OSError as exc:
            sock.close()
            return fail(f"cannot write the configuration {args.write_config}: {exc.strerror or exc}")
    print(f"listening on {base_url}", flush=True)  # noqa: T201
    config = uvicorn.Config(
        app, log_level="warning", access_log=False, lifespan="off", timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S
    )
    uvicorn.Server(config).run(sockets=[sock])
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    log_format = "%(asctime)s %(levelname)s %(name)s: %(message)s"
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format=log_format)
    if args.command == "faults":
        for line in faults.catalogue_lines():
            print(line)  # noqa: T201
        return 0
    return serve(args)


if __name__ == "__main__":
    sys.exit(main())
