"""Does a screenshot of RoboDeck show live plots, or just an empty window?

Each channel is drawn in its own colour from ui/look.py, 1 px wide and not
antialiased, so a live curve leaves pixels of exactly that colour across
many columns of the image and, as the value moves, many rows. The style
sheet reuses a few of those colours for borders and text, but no widget
can put most of the channel colours on screen at once: that takes the
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
#: How many distinct channel colours must each draw such a curve.
MIN_CURVES = 3
#: At least one curve must move over this many rows: the data is live.
MIN_ROWS = 6


@dataclass(frozen=True)
class Trace:
    """Where one colour appears in the image."""

    colour: str
    columns: int
    rows: int


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
    """How many columns and rows each colour covers."""
    found = []
    pixels = rgb.astype(np.int16)
    for colour in colours:
        target = np.array(hex_rgb(colour), dtype=np.int16)
        hit = np.all(np.abs(pixels - target) <= TOLERANCE, axis=2)
        found.append(
            Trace(
                colour,
                int(np.count_nonzero(hit.any(axis=0))),
                int(np.count_nonzero(hit.any(axis=1))),
            )
        )
    return found


def curves(found: Sequence[Trace]) -> list[Trace]:
    """The traces long enough to be a plotted curve."""
    return [t for t in found if t.columns >= MIN_COLUMNS]


def shows_live_plot(found: Sequence[Trace]) -> bool:
    """True if enough channels draw curves and at least one of them moves."""
    drawn = curves(found)
    return len(drawn) >= MIN_CURVES and any(t.rows >= MIN_ROWS for t in drawn)


def channel_colours() -> tuple[str, ...]:
    """The plot colours the app uses (ui/look.py is their one home)."""
    from ui.look import CHANNEL_COLOURS

    return tuple(CHANNEL_COLOURS)
