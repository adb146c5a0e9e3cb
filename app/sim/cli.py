"""`robodeck-sim`: the simulated robot as its own process.

    robodeck-sim --listen 127.0.0.1:8765            # direct mode, a server
    robodeck-sim --relay ws://relay:8080 --id rover --token T   # relay mode

Logs go to stderr. SIGTERM and Ctrl-C close every link (so the motors
stop, as they would on a real robot losing its link) and exit with 0.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable, Sequence

from app import __version__, protocol
from app.sim.model import MAX_SIM_CHANNELS
from app.sim.robot import SimRobot
from app.sim.transport import run_relay_client, serve_direct, server_url

log = logging.getLogger(__name__)

DEFAULT_LISTEN = "127.0.0.1:8765"


def host_port(text: str) -> tuple[str, int]:
    """Parse HOST:PORT (an IPv6 host in brackets: [::1]:8765)."""
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or int(port) > 65535:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {text!r}")
    return host.strip("[]") or "0.0.0.0", int(port)


def _ranged(lo: int, hi: int) -> Callable[[str], int]:
    """An argparse type: an integer within lo..hi, so a typo fails at once."""

    def parse(text: str) -> int:
        value = int(text)
        if not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"must be {lo}..{hi}, got {value}")
        return value

    return parse


def parser() -> argparse.ArgumentParser:
    """The command line of robodeck-sim."""
    ap = argparse.ArgumentParser(
        prog="robodeck-sim", description="A simulated RoboDeck robot (protocol v1)."
    )
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--listen", type=host_port, metavar="HOST:PORT",
                      help=f"serve the robot directly (default {DEFAULT_LISTEN})")
    mode.add_argument("--relay", metavar="URL", help="connect to a relay, e.g. ws://host:8080")
    ap.add_argument("--id", default="sim", help="robot id (default sim)")
    ap.add_argument("--token", help="direct: token links must present; relay: robot token")
    ap.add_argument("--rate", type=_ranged(*protocol.RATE_RANGE), default=200,
                    help="samples per second (default 200)")
    ap.add_argument("--channels", type=_ranged(1, MAX_SIM_CHANNELS), default=4,
                    help="analog channels (default 4)")
    ap.add_argument("--timeout", type=_ranged(*protocol.TIMEOUT_RANGE_MS),
                    default=protocol.DEFAULT_TIMEOUT_MS, help="drive timeout in ms (default 500)")
    ap.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    ap.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return ap


async def run(args: argparse.Namespace) -> None:
    """Run the robot until SIGTERM or SIGINT."""
    robot = SimRobot(
        robot_id=args.id, rate=args.rate, channels=args.channels, timeout=args.timeout
    )
    quit_ = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, quit_.set)
    ticking = asyncio.create_task(robot.run())
    if args.relay:
        link = asyncio.create_task(run_relay_client(robot, args.relay, args.id, args.token))
        await quit_.wait()
        link.cancel()
        await asyncio.gather(link, return_exceptions=True)
    else:
        host, port = args.listen or host_port(DEFAULT_LISTEN)
        async with await serve_direct(robot, host, port, args.token) as server:
            log.info("robot %r listening on %s", args.id, server_url(server))
            await quit_.wait()
    ticking.cancel()
    await asyncio.gather(ticking, return_exceptions=True)
    log.info("stopped")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `robodeck-sim`; returns the exit status."""
    args = parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run(args))
    return 0
