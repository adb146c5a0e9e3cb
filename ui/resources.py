"""Where the app's icons and style sheet live, in a checkout and when frozen.

resources/ sits at the top of the project (beside ui/ and app/) so the
packaging spec, the desktop entry and the README can all use it; a PyInstaller
build unpacks it under sys._MEIPASS instead. Every lookup goes through here so
no widget hard-codes a path.
"""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path

from PySide6.QtGui import QIcon


def resource_dir() -> Path:
    """The folder holding icons/, style.qss and robodeck.desktop."""
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root is not None:
        return Path(frozen_root) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def resource_path(*parts: str) -> Path:
    """A file below the resource folder; raises FileNotFoundError if missing."""
    path = resource_dir().joinpath(*parts)
    if not path.exists():
        raise FileNotFoundError(f"missing resource: {path}")
    return path


@cache
def icon(name: str) -> QIcon:
    """The SVG icon resources/icons/<name>.svg (cached: icons are shared)."""
    return QIcon(str(resource_path("icons", f"{name}.svg")))


def style_sheet() -> str:
    """The app-wide Qt style sheet."""
    return resource_path("style.qss").read_text(encoding="utf-8")
