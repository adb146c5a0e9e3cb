"""`robodeck`: the desktop app's command line.

    robodeck                      open on the built-in simulator (or the last profile)
    robodeck --connect URL        a robot (ws://robot:port/) or relay URL instead
    robodeck --profile NAME       a saved profile
    robodeck --self-test          drive the real window headless, check, exit 0/1
    robodeck --screenshot FILE    render the window after a few seconds of data

The display check runs before QApplication exists: without a screen Qt aborts
the process with a message about platform plugins that tells a user nothing
about what to do, so we say it ourselves and exit with 2.
"""

from __future__ import annotations

import argparse
import ctypes.util
import logging
import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

#: When this process started (near enough: this module is imported first),
#: so the self-test reports its whole run time including Qt's start-up.
STARTED_AT = time.monotonic()
EXIT_NO_DISPLAY = 2

#: Libraries Qt's X11 plugin loads at start-up -> the Debian package with each.
XCB_LIBRARIES = {
    "xcb-cursor": "libxcb-cursor0",
    "xcb-icccm": "libxcb-icccm4",
    "xcb-keysyms": "libxcb-keysyms1",
}
WAYLAND_LIBRARIES = {"wayland-cursor": "libwayland-cursor0"}

NO_DISPLAY = """\
robodeck: no display to open a window on (DISPLAY and WAYLAND_DISPLAY are unset).
Run it on a desktop session, or without a screen using Qt's offscreen platform:
  QT_QPA_PLATFORM=offscreen robodeck --self-test
  QT_QPA_PLATFORM=offscreen robodeck --screenshot shot.png
(from a checkout: QT_QPA_PLATFORM=offscreen make run ARGS=--self-test)"""


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line; see the module docstring."""
    parser = argparse.ArgumentParser(
        prog="robodeck",
        description="Drive a small robot from the desktop and watch its sensors live.",
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--connect", metavar="URL", help="robot or relay URL (ws://...)")
    where.add_argument("--profile", metavar="NAME", help="a saved connection profile")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--self-test", action="store_true", help="drive, check telemetry and stop; exit 0 or 1"
    )
    mode.add_argument(
        "--screenshot", metavar="FILE", type=Path, help="save a PNG of the live window and exit"
    )
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging")
    return parser.parse_args(argv)


def find_library(name: str, bundle: str | None = None) -> str | None:
    """The library `name`, from the packaged app's own folder first.

    A PyInstaller build carries the xcb libraries it was built with and Qt
    loads those, so a frozen app must not refuse to start just because the
    system lacks them.
    """
    bundle = bundle if bundle is not None else getattr(sys, "_MEIPASS", None)
    if bundle:
        found = next(Path(bundle).rglob(f"lib{name}.so*"), None)
        if found is not None:
            return str(found)
    return ctypes.util.find_library(name)


def display_problem(
    env: Mapping[str, str] = os.environ,
    find_library: Callable[[str], str | None] = find_library,
    platform: str = sys.platform,
) -> str | None:
    """Why no window can open here, with what to do about it; None if all is well."""
    if env.get("QT_QPA_PLATFORM") or not platform.startswith("linux"):
        return None
    wayland_missing = _missing(WAYLAND_LIBRARIES, find_library)
    if env.get("WAYLAND_DISPLAY") and not wayland_missing:
        return None
    if env.get("DISPLAY"):
        xcb_missing = _missing(XCB_LIBRARIES, find_library)
        return _install_hint("X11", xcb_missing) if xcb_missing else None
    if env.get("WAYLAND_DISPLAY"):
        return _install_hint("Wayland", wayland_missing)
    return NO_DISPLAY


def _missing(libraries: Mapping[str, str], find_library: Callable[[str], str | None]) -> list[str]:
    return [package for lib, package in libraries.items() if find_library(lib) is None]


def _install_hint(system: str, packages: list[str]) -> str:
    names = " ".join(packages)
    return (
        f"robodeck: Qt needs libraries for {system} that are not installed: {names}\n"
        f"On Debian or Ubuntu: sudo apt-get install {names}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `robodeck` script and `python -m ui`."""
    args = parse_args(argv)
    level = logging.DEBUG if args.verbose > 1 else logging.INFO if args.verbose else logging.WARNING
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    problem = display_problem()
    if problem is not None:
        print(problem, file=sys.stderr)
        return EXIT_NO_DISPLAY
    from ui.app import run_app  # Qt is imported only once a window can open

    return run_app(args, STARTED_AT)
