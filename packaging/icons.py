"""Render resources/icons/robodeck.svg into the icon files each platform wants.

    python packaging/icons.py OUT_DIR

The SVG stays the only source of the app icon: Windows wants an .ico,
macOS an .icns, Linux desktops a PNG per size beside the SVG. ICO and ICNS
are both plain containers of PNG images, so we render the SVG with Qt at
every size they hold and pack the PNGs ourselves; a converter fed one large
image would shrink it instead, and a 16 px icon shrunk from 1024 px turns
to mush where one drawn at 16 px stays crisp.

The spec runs this in its own process: Qt is then loaded in a short-lived
interpreter and not inside PyInstaller's, which inspects Qt itself.
"""

from __future__ import annotations

import argparse
import os
import struct
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SVG = ROOT / "resources" / "icons" / "robodeck.svg"
NAME = "robodeck"

#: Sizes an .ico holds: the ones Windows asks for in Explorer, taskbar and title bar.
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
#: (OSType, pixels) of each PNG in the .icns; `ic11`..`ic14` are the @2x ones.
ICNS_ENTRIES = (
    (b"icp4", 16),
    (b"icp5", 32),
    (b"ic11", 32),
    (b"icp6", 64),
    (b"ic12", 64),
    (b"ic07", 128),
    (b"ic08", 256),
    (b"ic13", 256),
    (b"ic09", 512),
    (b"ic14", 512),
    (b"ic10", 1024),
)
#: PNG sizes installed into a freedesktop hicolor icon theme.
HICOLOR_SIZES = (16, 32, 48, 64, 128, 256, 512)


@dataclass(frozen=True)
class IconSet:
    """The files `generate()` wrote."""

    ico: Path
    icns: Path
    pngs: Mapping[int, Path]


def render_pngs(svg: Path, sizes: Iterable[int]) -> dict[int, bytes]:
    """The SVG drawn at each size (square, transparent background), as PNG bytes."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise ValueError(f"{svg} is not a valid SVG")
    pngs: dict[int, bytes] = {}
    for size in sorted(set(sizes)):
        image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        data = QByteArray()
        buffer = QBuffer(data)
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        image.save(buffer, "PNG")  # type: ignore[call-overload]  # stub: bytes; runtime: str
        pngs[size] = bytes(data.data())
    return pngs


def ico_bytes(pngs: Mapping[int, bytes]) -> bytes:
    """An ICO file holding the PNGs, smallest first (PNG entries: Windows Vista+)."""
    sizes = sorted(pngs)
    header = struct.pack("<HHH", 0, 1, len(sizes))  # reserved, type 1 = icon, count
    offset = len(header) + 16 * len(sizes)
    entries, images = b"", b""
    for size in sizes:
        if not 1 <= size <= 256:
            raise ValueError(f"an ICO image is 1..256 px, not {size}")
        edge = size % 256  # 0 stands for 256
        data = pngs[size]
        entries += struct.pack("<BBBBHHII", edge, edge, 0, 0, 1, 32, len(data), offset)
        offset += len(data)
        images += data
    return header + entries + images


def icns_bytes(
    pngs: Mapping[int, bytes], entries: Sequence[tuple[bytes, int]] = ICNS_ENTRIES
) -> bytes:
    """An ICNS file: `icns`, total length, then (OSType, length, PNG) per entry."""
    body = b"".join(
        kind + struct.pack(">I", 8 + len(pngs[size])) + pngs[size] for kind, size in entries
    )
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def generate(out_dir: Path, svg: Path = SVG) -> IconSet:
    """Write robodeck.ico, robodeck.icns and robodeck-<size>.png into out_dir."""
    out_dir.mkdir(parents=True, exist_ok=True)
    sizes = {*ICO_SIZES, *HICOLOR_SIZES, *(size for _, size in ICNS_ENTRIES)}
    pngs = render_pngs(svg, sizes)
    ico = out_dir / f"{NAME}.ico"
    ico.write_bytes(ico_bytes({size: pngs[size] for size in ICO_SIZES}))
    icns = out_dir / f"{NAME}.icns"
    icns.write_bytes(icns_bytes(pngs))
    png_paths = {}
    for size in HICOLOR_SIZES:
        png_paths[size] = out_dir / f"{NAME}-{size}.png"
        png_paths[size].write_bytes(pngs[size])
    return IconSet(ico=ico, icns=icns, pngs=png_paths)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: generate the icon set into the given folder."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--svg", type=Path, default=SVG)
    args = parser.parse_args(argv)
    icons = generate(args.out_dir, args.svg)
    print(f"icons: {icons.ico.name}, {icons.icns.name}, {len(icons.pngs)} PNGs in {args.out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
