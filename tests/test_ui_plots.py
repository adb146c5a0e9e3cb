"""The live plots and the recorder, through the real main window."""

from __future__ import annotations

import asyncio
import csv
from pathlib import Path

import numpy as np
from conftest import MS
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget
from ui_helpers import app, ignore_platform_noise, on_qt_loop, press, release, running_deck, until

from ui.plot_panel import PlotPanel
from ui.selftest import hover

__all__ = ["app"]
pytestmark = ignore_platform_noise


def curve_x(panel: PlotPanel, index: int = 0) -> np.ndarray:
    data = panel.plots[index].curve.xData
    return np.zeros(0) if data is None else data


@on_qt_loop
async def test_plots_show_the_robots_channels_and_keep_growing(app: QApplication) -> None:
    async with running_deck() as deck:
        panel = deck.window.plot_panel
        hello = deck.session.telemetry.hello if deck.session.telemetry else None
        assert hello is not None
        assert [p.channel for p in panel.plots] == list(hello.channels)
        await until(lambda: len(curve_x(panel)) > 0, 1000, "first points drawn")
        first = panel.drawn_until()
        count = len(curve_x(panel))
        await asyncio.sleep(300 * MS)
        assert len(curve_x(panel)) > count, "more points as time goes on"
        assert (panel.drawn_until() or 0) > (first or 0)
        for plot in panel.plots:
            y = plot.curve.yData
            assert y is not None and len(y) == len(curve_x(panel)) and np.isfinite(y).all()


@on_qt_loop
async def test_pause_freezes_the_view_but_not_the_data(app: QApplication) -> None:
    async with running_deck() as deck:
        panel, buffer = deck.window.plot_panel, deck.session.telemetry
        assert buffer is not None
        await until(panel.drawn_until, 1000, "first points drawn")
        QTest.mouseClick(panel.pause_button, Qt.MouseButton.LeftButton)
        assert panel.paused and panel.pause_button.text() == "Resume"
        frozen_x, frozen_until = curve_x(panel).copy(), panel.drawn_until()
        samples = buffer.total_samples
        await asyncio.sleep(400 * MS)
        assert buffer.total_samples > samples + 20, "data keeps arriving while paused"
        assert np.array_equal(curve_x(panel), frozen_x), "the view stays as it was"

        QTest.mouseClick(panel.pause_button, Qt.MouseButton.LeftButton)
        newest = buffer.latest_time
        await until(lambda: (panel.drawn_until() or 0) >= (newest or 0), 500, "caught up")
        assert (panel.drawn_until() or 0) > (frozen_until or 0) + 0.3 * MS * 1000


@on_qt_loop
async def test_window_selector_channel_toggles_and_cursor_readout(app: QApplication) -> None:
    async with running_deck() as deck:
        panel = deck.window.plot_panel
        view_box = panel.plots[0].item.getViewBox()
        await until(lambda: len(curve_x(panel)) > 50, 1000, "some points drawn")
        assert [round(v, 6) for v in view_box.viewRange()[0]] == [-10, 0]
        panel.window_combo.setCurrentIndex(panel.window_combo.findData(60))
        await until(lambda: round(view_box.viewRange()[0][0]) == -60, 500, "a 1 min window")
        assert deck.settings.plot_seconds == 60

        wheel_zoom(panel.plots[0].widget.viewport())
        assert not panel.following, "zooming with the mouse stops following"
        zoomed = view_box.viewRange()[0]
        await asyncio.sleep(100 * MS)
        assert view_box.viewRange()[0] == zoomed, "the zoomed view stays put"
        QTest.mouseClick(panel.autoscale_button, Qt.MouseButton.LeftButton)
        assert panel.following
        await until(lambda: round(view_box.viewRange()[0][0]) == -60, 500, "following again")

        hidden = panel.plots[1]
        QTest.mouseClick(panel.toggles[hidden.channel.name], Qt.MouseButton.LeftButton)
        assert not hidden.widget.isVisible() and panel.plots[0].widget.isVisible()
        assert deck.settings.hidden_channels == [hidden.channel.name]

        view = panel.plots[0].widget.viewport()
        hover(view, QPoint(view.width() * 3 // 4, view.height() // 2))
        await until(lambda: panel.plots[0].cursor.isVisible(), 500, "crosshair shown")
        text = panel.readout.text()
        assert panel.plots[0].channel.name in text and hidden.channel.name not in text
        assert all(p.cursor.value() == panel.plots[0].cursor.value() for p in panel.plots)


def wheel_zoom(view: QWidget) -> None:
    """One notch of the mouse wheel over the middle of a plot."""
    at = QPointF(view.width() / 2, view.height() / 2)
    event = QWheelEvent(
        at,
        QPointF(view.mapToGlobal(at.toPoint())),
        QPoint(),
        QPoint(0, 120),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(view, event)


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@on_qt_loop
async def test_record_button_writes_samples_drive_commands_and_events(app: QApplication) -> None:
    async with running_deck() as deck:
        panel = deck.window.plot_panel
        QTest.mouseClick(panel.record_button, Qt.MouseButton.LeftButton)
        path = deck.session.recorder.path
        assert path is not None and deck.session.recorder.recording
        assert panel.record_button.text() == "Stop recording"
        assert str(path) in panel.record_label.text(), "the button row says where it goes"
        press(deck, Qt.Key.Key_Up)
        await asyncio.sleep(250 * MS)
        release(deck, Qt.Key.Key_Up)
        await asyncio.sleep(100 * MS)
        QTest.mouseClick(panel.record_button, Qt.MouseButton.LeftButton)
        assert not deck.session.recorder.recording
        assert panel.record_button.text() == "Record CSV" and "Saved" in panel.record_label.text()

    rows = read_rows(path)
    kinds = {row["kind"] for row in rows}
    assert {"sample", "drive", "stop", "event"} <= kinds
    drives = [row for row in rows if row["kind"] == "drive"]
    assert drives[0]["left"] == drives[0]["right"] == "60"
    assert any(row["left"] == "60" for row in rows if row["kind"] == "sample"), "robot moved"
    assert sum(row["kind"] == "sample" for row in rows) > 40
