"""Does a screenshot of RoboDeck show live plots, or just an empty window?

Each channel is drawn in its own colour from ui/look.py, 1 px wide and not
antialiased, so a live curve leaves pixels of exactly that colour across
many columns of the image, at a height that changes from column to column
as the value moves. The style sheet reuses some of those colours for
borders and text, but a border sits at the same height all along, and no
widget puts most of the channel colours on screen at once: that takes the
simulator's channels actually being plotted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

#: Per RGB component; exact colours are expected, a little slack costs nothing.
TOLERANCE = 6
#: A curve spans at least this many image columns (a few seconds of data).
MIN_COLUMNS = 40
#: ... and sits at this many different heights along them: the data moves.
MIN_LEVELS = 6
#: How many channel colours must each draw such a curve (the simulator has 4).
MIN_CURVES = 3


@dataclass(frozen=True)
class Trace:
    """Where one colour appears in the image."""

    colour: str
    columns: int  # image columns holding the colour
    levels: int  # distinct heights (mean row per column) it is drawn at


def hex_rgb(colour: str) -> tuple[int, int, int]:
    """`#58a6ff` -> (88, 166, 255)."""
    value = colour.lstrip("#")
    return (int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16))


def load_rgb(png: Path) -> npt.NDArray[np.uint8]:
    """The image as an (height, width, 3) array; raises ValueError if unreadable."""
    from PySide6.QtGui import QImage

    image = QImage(str(png))
    if image.isNull():
        raise ValueError(f"{png} is not a readable image")
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    width, height, stride = image.width(), image.height(), image.bytesPerLine()
    raw = np.frombuffer(image.constBits(), dtype=np.uint8, count=stride * height)
    return raw.reshape(height, stride)[:, : width * 3].reshape(height, width, 3).copy()


def traces(rgb: npt.NDArray[np.uint8], colours: Sequence[str]) -> list[Trace]:
    """Where each colour is drawn: over how many columns, at how many heights."""
    found = []
    pixels = rgb.astype(np.int16)
    rows = np.arange(rgb.shape[0], dtype=np.float64)[:, np.newaxis]
    for colour in colours:
        target = np.array(hex_rgb(colour), dtype=np.int16)
        hit = np.all(np.abs(pixels - target) <= TOLERANCE, axis=2)
        per_column = hit.sum(axis=0)
        used = per_column > 0
        heights = (hit * rows).sum(axis=0)[used] / per_column[used]
        found.append(Trace(colour, int(used.sum()), len(np.unique(np.round(heights)))))
    return found


def curves(found: Sequence[Trace]) -> list[Trace]:
    """The traces that look like a plotted, moving curve."""
    return [t for t in found if t.columns >= MIN_COLUMNS and t.levels >= MIN_LEVELS]


def shows_live_plot(found: Sequence[Trace]) -> bool:
    """True if enough channels draw moving curves."""
    return len(curves(found)) >= MIN_CURVES


def channel_colours() -> tuple[str, ...]:
    """The plot colours the app uses (ui/look.py is their one home)."""
    from ui.look import CHANNEL_COLOURS

    return tuple(CHANNEL_COLOURS)
