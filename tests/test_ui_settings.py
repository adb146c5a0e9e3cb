"""Profiles and remembered preferences: the profile dialog validates what is
typed, and a restart comes back with the last profile and the same layout."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QPushButton
from ui_helpers import app, ignore_platform_noise, on_qt_loop, running_deck, until

from app.settings import Profile, Settings
from app.sim.builtin import BuiltinSimulator
from ui.app import Deck, choose_profile, profile_from_url
from ui.cli import parse_args
from ui.connection_bar import ProfileDialog
from ui.main_window import DEFAULT_SIZE

__all__ = ["app"]
pytestmark = ignore_platform_noise


def save_button(dialog: ProfileDialog) -> QPushButton:
    box = dialog.findChild(QDialogButtonBox)
    assert box is not None
    return box.button(QDialogButtonBox.StandardButton.Save)


def test_profile_dialog_rejects_a_bad_url_and_saves_a_good_one(app: QApplication) -> None:
    deck = Deck(Settings(), restore_layout=False)
    bar = deck.window.connection_bar
    try:
        QTest.mouseClick(bar.add_button, Qt.MouseButton.LeftButton)
        dialog = bar.dialog
        assert dialog is not None and dialog.isVisible()
        QTest.keyClicks(dialog.name, "Lab rover")
        dialog.kind.setCurrentIndex(dialog.kind.findData("direct"))
        QTest.keyClicks(dialog.url, "http://192.168.1.50:8765/")
        QTest.mouseClick(save_button(dialog), Qt.MouseButton.LeftButton)
        assert dialog.isVisible(), "a bad URL keeps the dialog open"
        assert "ws://" in dialog.error.text()
        assert Settings.load().profile("Lab rover") is None

        dialog.url.setText("ws://192.168.1.50:8765/")
        QTest.mouseClick(save_button(dialog), Qt.MouseButton.LeftButton)
        assert not dialog.isVisible()
        assert bar.current_profile() == Profile("Lab rover", "direct", "ws://192.168.1.50:8765/")
        assert Settings.load().profile("Lab rover") == bar.current_profile(), "saved at once"
    finally:
        deck.window.close_now()


def test_profile_dialog_wants_a_robot_id_for_a_relay_and_unique_names(app: QApplication) -> None:
    dialog = ProfileDialog(None, {"Simulator"}, None)
    try:
        dialog.open()
        dialog.name.setText("Simulator")
        dialog.accept()
        assert dialog.isVisible() and "already exists" in dialog.error.text()
        dialog.name.setText("Far rover")
        dialog.kind.setCurrentIndex(dialog.kind.findData("relay"))
        dialog.url.setText("wss://relay.example.org/")
        dialog.accept()
        assert dialog.isVisible() and "robot id" in dialog.error.text()
        assert dialog.robot_id.isEnabled() and dialog.token.isEnabled()
        dialog.robot_id.setText("rover")
        dialog.url.setText("ws://relay.example.org/")
        dialog.pin.setText("ab" * 32)
        dialog.accept()
        assert dialog.isVisible() and "wss://" in dialog.error.text()
    finally:
        dialog.close()


@on_qt_loop
async def test_a_restart_remembers_profile_plot_window_channels_speed_and_size(
    app: QApplication,
) -> None:
    sim = BuiltinSimulator.start(rate=100, channels=3)
    try:
        direct = Profile("Bench robot", "direct", sim.url)
        settings = Settings.load()
        settings.profiles.append(direct)
        async with running_deck(settings, direct) as deck:
            window, panel = deck.window, deck.window.plot_panel
            window.resize(760, 580)  # (grows to the window's minimum size)
            window.splitter.setSizes([500, 380])
            height, split = window.height(), window.splitter.sizes()
            assert height != DEFAULT_SIZE[1]
            panel.window_combo.setCurrentIndex(panel.window_combo.findData(30))
            hidden = panel.plots[2].channel.name
            panel.toggles[hidden].click()
            QTest.keyClick(window, Qt.Key.Key_Plus)
            QTest.keyClick(window, Qt.Key.Key_Plus)

        restarted = Settings.load()
        assert choose_profile(parse_args([]), restarted) == direct
        again = Deck(restarted)
        try:
            panel = again.window.plot_panel
            assert again.window.connection_bar.current_profile() == direct
            assert panel.seconds == 30 and panel.window_combo.currentText() == "30 s"
            assert panel.hidden == {hidden}
            assert again.session.drive.speed == 80
            assert again.window.drive_panel.speed_slider.value() == 80
            # Only the height: restoreGeometry fits the width to the 800 px
            # wide offscreen screen, narrower than this window's minimum.
            assert again.window.height() == height
            assert again.window.splitter.sizes()[1] == split[1], "the side panel keeps its width"
            assert await again.open(direct)
            await until(lambda: len(panel.plots) == 3, 2000, "plots for the robot")
            assert not panel.toggles[hidden].isChecked()
        finally:
            await again.shutdown(save=False)
    finally:
        sim.stop()


def test_connect_url_becomes_a_direct_or_relay_profile() -> None:
    assert profile_from_url("ws://10.0.0.7:8765/") == Profile(
        "command line", "direct", "ws://10.0.0.7:8765/"
    )
    relay = profile_from_url("wss://relay.example.org:8443/client/rover%201?token=s3cret")
    assert relay == Profile(
        "command line", "relay", "wss://relay.example.org:8443", "rover 1", "s3cret"
    )
    assert relay.link_url() == "wss://relay.example.org:8443/client/rover%201?token=s3cret"


@on_qt_loop
async def test_disconnect_and_connect_from_the_connection_bar(app: QApplication) -> None:
    async with running_deck() as deck:
        bar, status = deck.window.connection_bar, deck.window.status_panel
        await until(lambda: status.state_label.text() == "CONNECTED", what="connected pill")
        assert bar.connect_button.text() == "Disconnect" and not bar.combo.isEnabled()
        await until(lambda: status.rtt_label.text().endswith(" ms"), 2000, "round trip shown")
        assert (
            status.rate_label.text().endswith(" samples/s")
            and status.rate_label.text() != "0 samples/s"
        )
        assert status.dropped_label.text() == "0" and status.control_label.text() == "this window"
        QTest.mouseClick(bar.connect_button, Qt.MouseButton.LeftButton)
        await until(lambda: status.state_label.text() == "OFFLINE", what="offline pill")
        await until(lambda: deck.session.simulator is None, what="simulator stopped")
        assert bar.connect_button.text() == "Connect"
        assert bar.combo.isEnabled() and status.state_label.property("state") == "offline"

        QTest.mouseClick(bar.connect_button, Qt.MouseButton.LeftButton)
        await until(lambda: status.state_label.text() == "CONNECTED", what="connected again")
        assert deck.session.simulator is not None
        assert "connected to ws://127.0.0.1:" in status.log.toPlainText()
