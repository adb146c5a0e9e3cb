"""`robodeck-relay`: run the relay until SIGTERM or Ctrl-C.

Exit status: 0 after a clean shutdown, 2 for a usage or configuration error
(nothing was started), 1 if the port could not be opened.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import ssl
import sys
from dataclasses import replace
from pathlib import Path

from app import tls
from app.errors import ConfigError
from app.relay.auth import Auth, check_bind, load_auth
from app.relay.gc_tuning import tune_for_fan_out
from app.relay.limits import Limits
from app.relay.server import serve_relay

log = logging.getLogger("app.relay")

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="robodeck-relay",
        description="Route RoboDeck robots (/robot/<id>) and operators (/client/<id>) by robot id.",
    )
    parser.add_argument("--host", default=DEFAULT_HOST, help="address to listen on (%(default)s)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="TCP port (%(default)s)")
    parser.add_argument("--config", type=Path, help="TOML file with [robots.<id>] tokens")
    parser.add_argument(
        "--open", action="store_true",
        help="no tokens, any robot id; only allowed on a loopback address",
    )
    parser.add_argument("--certfile", type=Path, help="PEM certificate (chain): serve wss://")
    parser.add_argument("--keyfile", type=Path, help="PEM private key (if not in --certfile)")
    parser.add_argument(
        "--origin", action="append", metavar="URL",
        help="allow browser pages from this origin, e.g. https://lab.example (repeatable); "
             "without it any origin may connect (with a token)",
    )
    parser.add_argument(
        "--max-per-ip", type=int, default=Limits.per_ip, metavar="N",
        help="connections one IP address may hold (%(default)s; 0 = no limit)",
    )
    parser.add_argument(
        "--operator-rate", type=float, default=Limits.operator_rate, metavar="N",
        help="frames a second an operator may send before it counts as a flood "
             "(%(default)s; the app sends about 12)",
    )
    parser.add_argument(
        "--redis", metavar="URL",
        help="share robots, operators and control with every relay process using this Redis, "
             "e.g. redis://127.0.0.1:6379/0",
    )
    parser.add_argument(
        "--workers", type=int, default=1, metavar="N",
        help="start N relay processes sharing the port (needs --redis; %(default)s)",
    )
    parser.add_argument("--reuse-port", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("-v", "--verbose", action="store_true", help="log every connection detail")
    return parser


def _auth(args: argparse.Namespace) -> Auth:
    """The access rules the options ask for; raises ConfigError."""
    if args.open and args.config:
        raise ConfigError("--open and --config exclude each other")
    if not args.open and not args.config:
        raise ConfigError("give --config FILE with robot tokens (or --open for a local test relay)")
    auth = Auth.open_access() if args.open else load_auth(args.config)
    check_bind(auth, args.host)
    return auth


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        stream=sys.stderr, level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("app").setLevel(logging.DEBUG if verbose else logging.INFO)
    # Our own lines say who connected; websockets' per-connection lines are for -v.
    # (Its DEBUG lines would hold request paths and tokens; the relay never enables them.)
    logging.getLogger("websockets").setLevel(logging.INFO if verbose else logging.WARNING)


def _tls(args: argparse.Namespace) -> ssl.SSLContext | None:
    """The server TLS context the options ask for (None: plain ws://); raises ConfigError."""
    if args.keyfile and not args.certfile:
        raise ConfigError("--keyfile needs --certfile")
    if not args.certfile:
        return None
    context = tls.server_context(args.certfile, args.keyfile)
    fingerprint = tls.show_fingerprint(tls.fingerprint_of_file(args.certfile))
    log.info("TLS certificate SHA-256 fingerprint (for pinning): %s", fingerprint)
    return context


def _check_cluster(args: argparse.Namespace) -> None:
    """--workers needs --redis and a fixed port; --redis needs redis-py."""
    if args.workers < 1:
        raise ConfigError("--workers must be 1 or more")
    if args.workers > 1 and not args.redis:
        raise ConfigError("--workers needs --redis: the processes share state through it")
    if args.workers > 1 and args.port == 0:
        raise ConfigError("--workers needs a fixed --port for the processes to share")
    if args.redis:
        if not args.redis.startswith(("redis://", "rediss://", "unix://")):
            raise ConfigError(f"--redis wants redis://HOST:PORT/DB, not {args.redis!r}")
        try:
            import redis  # noqa: F401
        except ImportError:
            raise ConfigError("--redis needs the redis package: pip install 'redis>=5'") from None


def _limits(args: argparse.Namespace) -> Limits:
    if args.max_per_ip < 0:
        raise ConfigError("--max-per-ip must be 0 (no limit) or more")
    if args.operator_rate <= 0:
        raise ConfigError("--operator-rate must be more than 0")
    return replace(Limits(), per_ip=args.max_per_ip, operator_rate=args.operator_rate)


async def _serve(args: argparse.Namespace, auth: Auth, context: ssl.SSLContext | None) -> None:
    """Run until SIGTERM/SIGINT, then close every connection with 1001."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, AttributeError):  # not on Windows
            loop.add_signal_handler(sig, stop.set)
    cluster = None
    if args.redis:
        from app.relay.cluster import ClusterConfig

        cluster = ClusterConfig(args.redis)
    async with serve_relay(
        auth, args.host, args.port, limits=_limits(args), ssl=context, origins=args.origin,
        cluster=cluster, reuse_port=args.reuse_port,
    ):
        tune_for_fan_out()
        await stop.wait()
        log.info("shutting down")


def main(argv: list[str] | None = None) -> int:
    """Entry point of `robodeck-relay` and `python -m app.relay`."""
    args = _parser().parse_args(argv)
    _setup_logging(args.verbose)
    try:
        auth = _auth(args)
        _limits(args)
        _check_cluster(args)
        context = _tls(args)
    except ConfigError as exc:
        print(f"robodeck-relay: error: {exc}", file=sys.stderr)
        return 2
    if args.workers > 1:
        from app.relay.workers import run_workers

        return run_workers(args.workers, sys.argv[1:] if argv is None else argv)
    try:
        asyncio.run(_serve(args, auth, context))
    except OSError as exc:
        log.error("cannot listen on %s port %d: %s", args.host, args.port, exc.strerror or exc)
        return 1
    except KeyboardInterrupt:
        pass  # Ctrl-C where signal handlers are unavailable
    return 0
