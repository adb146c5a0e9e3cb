"""Assemble and run the app: settings, session, window and bridge.

`Deck` is the running app minus the event loop, so the GUI, the self-test,
the screenshot mode and the UI tests all build exactly the same thing.
`run_app` is the synchronous start-up phase (QApplication, style, choice of
profile) followed by the asyncio phase on the Qt loop (see ui.qt_loop).
"""

from __future__ import annotations

import argparse
import sys
from urllib.parse import parse_qs, unquote, urlsplit, urlunsplit

import shiboken6
from PySide6.QtWidgets import QApplication

from app.errors import ConfigError
from app.session import Session
from app.settings import Profile, Settings
from ui import look, qt_loop
from ui.bridge import Bridge
from ui.main_window import MainWindow

COMMAND_LINE = "command line"


class Deck:
    """One main window bound to one Session, dressed from Settings."""

    def __init__(self, settings: Settings, *, restore_layout: bool = True) -> None:
        self.settings = settings
        self.session = Session(settings)
        self.window = MainWindow()
        self.bridge = Bridge(self.session, self.window)
        self._apply_settings(restore_layout)

    def _apply_settings(self, restore_layout: bool) -> None:
        s, w = self.settings, self.window
        w.connection_bar.set_profiles(s.profiles, s.last_profile)
        w.drive_panel.show_speed(self.session.drive.speed)
        w.plot_panel.set_window_seconds(s.plot_seconds)
        w.plot_panel.set_hidden(s.hidden_channels)
        if restore_layout:
            w.restore_layout(s.window_geometry, s.window_state)

    async def open(self, profile: Profile) -> bool:
        """Connect to `profile`, showing it (even an unsaved one) in the connection bar."""
        saved = self.settings.profiles
        if profile not in saved:
            saved = [*(p for p in saved if p.name != profile.name), profile]
        self.window.connection_bar.set_profiles(saved, profile.name)
        return await self.bridge.open_profile(profile)

    async def shutdown(self, save: bool = True) -> None:
        """Stop the robot and close the link; remember the layout; delete the window.

        The window is deleted here, on the GUI thread, rather than left to
        Python's garbage collector, which may run in any thread (e.g. the
        simulator's) where destroying widgets and timers is not allowed.
        """
        await self.session.close()
        if save:
            self.settings.window_geometry, self.settings.window_state = self.window.layout_state()
            self.settings.save()
        self.window.close_now()
        shiboken6.delete(self.window)


def profile_from_url(url: str) -> Profile:
    """A profile for `--connect URL`: /client/<id> on a relay, else a robot."""
    parts = urlsplit(url)
    token = parse_qs(parts.query).get("token", [""])[0]
    if parts.path.startswith("/client/"):
        robot_id = unquote(parts.path.removeprefix("/client/").strip("/"))
        base = urlunsplit(parts._replace(path="", query=""))
        return Profile(COMMAND_LINE, "relay", url=base, robot_id=robot_id, token=token)
    return Profile(COMMAND_LINE, "direct", url=url)


def choose_profile(args: argparse.Namespace, settings: Settings) -> Profile:
    """--connect, else --profile, else the last used profile (the simulator at first)."""
    if args.connect:
        profile = profile_from_url(args.connect)
        profile.validate()
        return profile
    if args.profile:
        found = settings.profile(args.profile)
        if found is None:
            names = ", ".join(p.name for p in settings.profiles)
            raise ConfigError(f"no profile named {args.profile!r} (saved: {names})")
        return found
    return settings.current


async def run_gui(app: QApplication, settings: Settings, profile: Profile) -> int:
    """The interactive app: show, connect, wait for quit, clean up."""
    deck = Deck(settings)
    quit_requested = qt_loop.quit_future(app)
    deck.window.close_requested.connect(lambda: qt_loop.resolve(quit_requested))
    qt_loop.quit_on_signals(quit_requested)
    deck.window.show()
    qt_loop.spawn(deck.open(profile))
    await quit_requested
    await deck.shutdown()
    await qt_loop.drain_tasks()
    return 0


def run_app(args: argparse.Namespace, started: float) -> int:
    """Create the QApplication, then run the chosen mode on the Qt loop."""
    qt_loop.quiet_platform_noise()
    app = QApplication(sys.argv[:1])
    app.setApplicationName("RoboDeck")
    app.setDesktopFileName("robodeck")
    app.setQuitOnLastWindowClosed(False)  # we quit once the link is closed
    look.apply(app)
    headless = bool(args.self_test or args.screenshot)
    # Checks and screenshots start from defaults, so they neither depend on
    # nor change what the user set up; --profile still reads the saved ones.
    settings = Settings.load() if args.profile or not headless else Settings()
    try:
        profile = choose_profile(args, settings)
    except ConfigError as exc:
        print(f"robodeck: {exc}", file=sys.stderr)
        return 2
    from ui import selftest  # it builds a Deck itself

    if args.self_test:
        return qt_loop.run(app, lambda: selftest.self_test(settings, profile, started))
    if args.screenshot:
        return qt_loop.run(app, lambda: selftest.screenshot(settings, profile, args.screenshot))
    return qt_loop.run(app, lambda: run_gui(app, settings, profile))
