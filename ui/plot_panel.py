"""Live plots of the robot's channels, drawn from the TelemetryBuffer on a timer.

Samples arrive on the network's schedule; the screen refreshes on ours. A
16 ms QTimer asks the buffer for the visible window (already decimated to
about two points per pixel, so the cost does not grow with the window) and
hands it to pyqtgraph with `setData`. Pens are made once, width 1, no
antialiasing: at a few thousand points per curve that keeps a frame cheap.

One plot per channel, stacked, sharing the time axis. The view follows the
newest sample until the user zooms with the mouse; Autoscale returns to
following. Pause freezes the view only: the buffer keeps filling, and
resuming shows everything that arrived meanwhile.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, QPointF, Qt, QTimer, QUrl, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.protocol import Channel
from app.telemetry import TelemetryBuffer
from ui import look
from ui.look import set_style_property
from ui.resources import icon

#: (seconds, label) of the time windows offered.
WINDOWS: tuple[tuple[float, str], ...] = (
    (5, "5 s"),
    (10, "10 s"),
    (30, "30 s"),
    (60, "1 min"),
    (300, "5 min"),
    (600, "10 min"),
)
DEFAULT_WINDOW_S = 10.0
REFRESH_MS = 16
#: How far the view may scroll past the newest sample while the next batch is due.
MAX_LEAD_S = 0.1
AXIS_WIDTH = 64


class ChannelPlot:
    """One channel's PlotWidget, curve and crosshair line."""

    def __init__(self, index: int, channel: Channel) -> None:
        self.channel = channel
        self.colour = look.channel_colour(index)
        self.widget = pg.PlotWidget()
        self.widget.setMinimumHeight(60)
        self.item = self.widget.getPlotItem()
        self.item.setLabel("left", channel.name, units=channel.unit or None)
        self.item.getAxis("left").setWidth(AXIS_WIDTH)
        # A GridItem, not showGrid(): axis grid lines made each repaint ten
        # times dearer (5 ms instead of 0.5 ms for a 900x170 plot).
        self.item.addItem(pg.GridItem(pen=pg.mkPen(look.GRID), textPen=None))
        self.item.setClipToView(True)
        self.item.setDownsampling(auto=True, mode="peak")
        self.item.hideButtons()
        self.item.setMenuEnabled(False)
        self.item.setAutoVisible(y=True)
        self.curve = self.item.plot(pen=pg.mkPen(self.colour, width=1))
        self.cursor = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen(look.CROSSHAIR))
        self.cursor.setVisible(False)
        self.item.addItem(self.cursor, ignoreBounds=True)

    def show_time_axis(self, shown: bool) -> None:
        """Only the lowest visible plot labels the shared time axis."""
        self.item.getAxis("bottom").setStyle(showValues=shown)
        self.item.setLabel("bottom", "time" if shown else None, units="s" if shown else None)


class PlotPanel(QWidget):
    """Toolbar (window, pause, autoscale, record), channel toggles, plots."""

    record_toggled = Signal(bool)
    window_changed = Signal(float)  # seconds
    hidden_changed = Signal(object)  # set[str] of channel names

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("plotPanel")
        self.buffer: TelemetryBuffer | None = None
        self.plots: list[ChannelPlot] = []
        self.hidden: set[str] = set()
        #: Show/hide check box of each channel, by channel name.
        self.toggles: dict[str, QCheckBox] = {}
        self.seconds = DEFAULT_WINDOW_S
        self.following = True
        #: Robot time drawn at x = 0 (the newest sample while following).
        self.origin: float | None = None
        self._data_origin = 0.0
        self._arrived_at = 0.0
        self._view_seconds: float | None = None
        self._drawn_samples = -1
        self._cursor: tuple[ChannelPlot, QPointF] | None = None
        self.window_combo = QComboBox()
        self.pause_button = QPushButton(icon("pause"), "Pause")
        self.autoscale_button = QPushButton(icon("autoscale"), "Autoscale")
        self.record_button = QPushButton(icon("record"), "Record CSV")
        self.record_label = QLabel()
        self.readout = QLabel()
        self.channel_row = QHBoxLayout()
        self.plot_column = QVBoxLayout()
        self.placeholder = QLabel("Waiting for the robot's hello…")
        self.timer = QTimer(self)
        self._build()

    # ------------------------------------------------------------ layout

    def _build(self) -> None:
        for seconds, label in WINDOWS:
            self.window_combo.addItem(label, seconds)
        self.window_combo.setCurrentIndex(self.window_combo.findData(DEFAULT_WINDOW_S))
        self.window_combo.currentIndexChanged.connect(self._on_window)
        self.window_combo.setToolTip("Time window")
        self.pause_button.setCheckable(True)
        self.pause_button.toggled.connect(self._on_pause)
        self.pause_button.setToolTip("Freeze the view; data keeps arriving")
        self.autoscale_button.clicked.connect(self.autoscale)
        self.autoscale_button.setToolTip("Follow the newest data and fit the value axis")
        self.record_button.setCheckable(True)
        self.record_button.setObjectName("recordButton")
        self.record_button.toggled.connect(self.record_toggled.emit)
        for widget in (self.window_combo, self.pause_button, self.autoscale_button):
            widget.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.record_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.record_label.setProperty("role", "hint")
        self.record_label.setOpenExternalLinks(True)
        self.readout.setObjectName("readout")
        self.readout.setTextFormat(Qt.TextFormat.RichText)
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setProperty("role", "hint")

        toolbar = QHBoxLayout()
        toolbar.addWidget(look.title("Telemetry"))
        toolbar.addSpacing(12)
        toolbar.addWidget(self.window_combo)
        toolbar.addWidget(self.pause_button)
        toolbar.addWidget(self.autoscale_button)
        toolbar.addStretch(1)
        toolbar.addWidget(self.record_label)
        toolbar.addWidget(self.record_button)
        self.channel_row.setSpacing(14)
        self.plot_column.setSpacing(2)
        self.plot_column.addWidget(self.placeholder, 1)

        layout = QVBoxLayout(self)
        layout.addLayout(toolbar)
        layout.addLayout(self.channel_row)
        layout.addLayout(self.plot_column, 1)
        layout.addWidget(self.readout)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self.refresh)
        self.timer.start()

    def set_buffer(self, buffer: TelemetryBuffer) -> None:
        """A robot said hello: one plot per channel of its buffer."""
        self._clear_plots()
        self.buffer = buffer
        self.origin = None
        self._drawn_samples = -1
        self._view_seconds = None
        for index, channel in enumerate(buffer.channels):
            plot = ChannelPlot(index, channel)
            if self.plots:
                plot.item.setXLink(self.plots[0].item)
            plot.item.getViewBox().sigRangeChangedManually.connect(self._on_manual_zoom)
            plot.widget.scene().sigMouseMoved.connect(
                lambda pos, p=plot: self._on_mouse_moved(p, pos)
            )
            plot.widget.viewport().installEventFilter(self)
            self.plots.append(plot)
            self.plot_column.addWidget(plot.widget, 1)
            self.toggles[channel.name] = self._channel_toggle(plot)
            self.channel_row.addWidget(self.toggles[channel.name])
        self.channel_row.addStretch(1)
        self.placeholder.setVisible(not self.plots)
        self._apply_hidden()

    def _channel_toggle(self, plot: ChannelPlot) -> QCheckBox:
        unit = f" ({plot.channel.unit})" if plot.channel.unit else ""
        box = QCheckBox(plot.channel.name + unit)
        box.setChecked(plot.channel.name not in self.hidden)
        box.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        box.setStyleSheet(f"QCheckBox::indicator:checked {{ background: {plot.colour}; }}")
        box.toggled.connect(lambda on, name=plot.channel.name: self._on_toggle(name, on))
        return box

    def _clear_plots(self) -> None:
        for plot in self.plots:
            plot.widget.viewport().removeEventFilter(self)
            plot.widget.setParent(None)
            plot.widget.deleteLater()
        self.plots.clear()
        self.toggles.clear()
        self._cursor = None
        while (item := self.channel_row.takeAt(0)) is not None:
            if (widget := item.widget()) is not None:
                widget.deleteLater()

    # ------------------------------------------------------------ user actions

    def set_window_seconds(self, seconds: float) -> None:
        """Show the last `seconds` (one of WINDOWS; others pick the nearest)."""
        nearest = min(WINDOWS, key=lambda w: abs(w[0] - seconds))[0]
        self.window_combo.setCurrentIndex(self.window_combo.findData(nearest))

    def set_hidden(self, names: Iterable[str]) -> None:
        """Hide the named channels (remembered across robots and restarts)."""
        self.hidden = set(names)
        for name, box in self.toggles.items():
            box.blockSignals(True)
            box.setChecked(name not in self.hidden)
            box.blockSignals(False)
        self._apply_hidden()

    def autoscale(self) -> None:
        """Follow the newest data again and fit every value axis."""
        self.following = True
        set_style_property(self.autoscale_button, "attention", False)
        for plot in self.plots:
            plot.item.enableAutoRange(y=True)
        self._drawn_samples = -1
        self._view_seconds = None
        self.refresh()

    @property
    def paused(self) -> bool:
        return self.pause_button.isChecked()

    def show_recording(self, path: Path | None, saved: Path | None = None) -> None:
        """Record button state and where the file is (or went)."""
        self.record_button.blockSignals(True)
        self.record_button.setChecked(path is not None)
        self.record_button.blockSignals(False)
        self.record_button.setText("Stop recording" if path else "Record CSV")
        set_style_property(self.record_button, "recording", path is not None)
        shown = path or saved
        if shown is None:
            self.record_label.clear()
            return
        link = QUrl.fromLocalFile(str(shown.parent)).toString()
        verb = "Recording to" if path else "Saved"
        self.record_label.setText(f'{verb} <a href="{link}">{shown}</a>')
        self.record_label.setToolTip(str(shown))
        self.record_button.setToolTip(f"{verb} {shown}")

    def _on_window(self) -> None:
        self.seconds = float(self.window_combo.currentData())
        self._drawn_samples = -1
        self.window_changed.emit(self.seconds)

    def _on_pause(self, paused: bool) -> None:
        self.pause_button.setText("Resume" if paused else "Pause")
        self.pause_button.setIcon(icon("play" if paused else "pause"))
        self._drawn_samples = -1

    def _on_toggle(self, name: str, shown: bool) -> None:
        if shown:
            self.hidden.discard(name)
        else:
            self.hidden.add(name)
        self._apply_hidden()
        self.hidden_changed.emit(set(self.hidden))

    def _apply_hidden(self) -> None:
        visible = [p for p in self.plots if p.channel.name not in self.hidden]
        for plot in self.plots:
            plot.widget.setVisible(plot in visible)
            plot.show_time_axis(bool(visible) and plot is visible[-1])
        self._drawn_samples = -1

    def _on_manual_zoom(self, _mask: object) -> None:
        """The user zoomed or panned: stop following until Autoscale."""
        self.following = False
        self._view_seconds = None
        set_style_property(self.autoscale_button, "attention", True)

    # ------------------------------------------------------------ drawing

    def refresh(self) -> None:
        """Timer tick: new samples are drawn, and the view scrolls every frame.

        Time is drawn relative to "now", so the x range stays fixed at
        [-window, 0] and axes and grid are not re-laid out per frame. New
        samples arrive in batches (about 40 a second); between them the curves
        slide left by the time that has passed (a cheap item move, no new
        path), so the plot scrolls at the full frame rate, not the batch rate.
        """
        buffer = self.buffer
        if buffer is None or self.paused or buffer.latest_time is None:
            return
        now = time.monotonic()
        latest = buffer.latest_time
        if buffer.total_samples != self._drawn_samples:
            self._drawn_samples = buffer.total_samples
            self._arrived_at = now
            self._draw_curves(buffer, latest)
        if self.following or self.origin is None:
            self._scroll_to(latest + min(now - self._arrived_at, MAX_LEAD_S))
        self._update_readout()

    def _draw_curves(self, buffer: TelemetryBuffer, latest: float) -> None:
        """Hand the visible window to pyqtgraph, times relative to the newest sample."""
        width = max((p.widget.width() for p in self.plots), default=800)
        t, values = buffer.window(self.seconds, max_points=2 * max(width, 200))
        self._data_origin = latest
        x = t - latest
        shift = latest - (self.origin if self.origin is not None else latest)
        for index, plot in enumerate(self.plots):
            plot.curve.setData(x, values[:, index])
            plot.curve.setPos(shift, 0)
        if self.following and self.plots and self._view_seconds != self.seconds:
            # The x range only changes with the window or after a zoom, not per batch.
            self.plots[0].item.setXRange(-self.seconds, 0, padding=0)
            self._view_seconds = self.seconds

    def _scroll_to(self, origin: float) -> None:
        """Put robot time `origin` at x = 0 by moving the curves, not the view."""
        self.origin = origin
        shift = self._data_origin - origin
        for plot in self.plots:
            plot.curve.setPos(shift, 0)

    def drawn_until(self) -> float | None:
        """Robot time of the newest sample on screen; None before any is drawn."""
        times = [p.curve.xData for p in self.plots if p.curve.xData is not None]
        newest = max((float(t[-1]) for t in times if len(t)), default=None)
        return None if newest is None else newest + self._data_origin

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Hide the crosshair when the mouse leaves a plot."""
        if event.type() == QEvent.Type.Leave:
            self._cursor = None
            self._update_readout()
        return False

    def _on_mouse_moved(self, plot: ChannelPlot, pos: QPointF) -> None:
        self._cursor = (plot, pos)
        self._update_readout()

    def _update_readout(self) -> None:
        """Crosshair at the time under the mouse, with every channel's value there."""
        x = self._cursor_time()
        for plot in self.plots:
            plot.cursor.setVisible(x is not None)
            if x is not None:
                plot.cursor.setPos(x)
        origin = self.origin or 0.0
        values = None if x is None or self.buffer is None else self.buffer.value_at(x + origin)
        if x is None or values is None:
            self.readout.setText("Hover a plot to read values")
            return
        parts = [f"<b>{x:+.3f} s</b>"]
        for plot, value in zip(self.plots, values, strict=True):
            if plot.channel.name not in self.hidden:
                parts.append(
                    f'<span style="color:{plot.colour}">■</span> '
                    f"{plot.channel.name} <b>{value:.4g}</b> {plot.channel.unit}"
                )
        self.readout.setText("&nbsp;&nbsp;&nbsp;".join(parts))

    def _cursor_time(self) -> float | None:
        if self._cursor is None:
            return None
        plot, pos = self._cursor
        if not plot.item.sceneBoundingRect().contains(pos):
            return None
        return float(plot.item.getViewBox().mapSceneToView(pos).x())
