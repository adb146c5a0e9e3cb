"""The app's look in one place: style sheet, plot colours, state styling.

Widgets are styled by resources/style.qss through object names and dynamic
properties (e.g. `state="connected"`); pyqtgraph draws outside the style
sheet, so its colours live here, chosen to match the sheet's palette.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtWidgets import QApplication, QLabel, QWidget

from ui.resources import icon, style_sheet

BACKGROUND = "#0d1117"
FOREGROUND = "#8b949e"
GRID = "#2a3340"
CROSSHAIR = "#6e7681"
#: One colour per channel, cycled; bright enough on the dark background.
CHANNEL_COLOURS = (
    "#58a6ff",
    "#3fb950",
    "#d29922",
    "#f778ba",
    "#a5d6ff",
    "#ff7b72",
    "#bc8cff",
    "#56d4dd",
)


def channel_colour(index: int) -> str:
    """The plot colour of channel number `index`."""
    return CHANNEL_COLOURS[index % len(CHANNEL_COLOURS)]


def apply(app: QApplication) -> None:
    """Style the whole app; call once, before any window is built."""
    app.setStyle("Fusion")
    app.setStyleSheet(style_sheet())
    app.setWindowIcon(icon("robodeck"))
    pg.setConfigOptions(antialias=False, background=BACKGROUND, foreground=FOREGROUND)


def set_style_property(widget: QWidget, name: str, value: object) -> None:
    """Set a property the style sheet selects on, and re-style if it changed."""
    if widget.property(name) == value:
        return
    widget.setProperty(name, value)
    widget.style().unpolish(widget)
    widget.style().polish(widget)


def title(text: str) -> QLabel:
    """A small upper-case section heading."""
    label = QLabel(text.upper())
    label.setProperty("role", "title")
    return label
