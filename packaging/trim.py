"""What PyInstaller would bundle that RoboDeck never uses, and the rule that drops it.

PyInstaller follows imports, and its Qt hooks add every plugin a used Qt
module *could* load. RoboDeck needs far less: widgets drawn on X11,
Wayland, Windows or macOS (plus the offscreen platform for headless runs),
SVG icons, PNG screenshots, and English text. Each rule here names what it
drops and why, so a rule that grows too eager is easy to spot; the packaged
smoke test proves the trimmed build still starts, drives and draws.

Rules match a file's path inside the bundle, with forward slashes.

Debug information is trimmed too, but only from the Python interpreter's
own binaries: a CPython built from source (pyenv, as here) carries ~20 MB
of it in libpython alone. Wheels' binaries are left as they are: any
`strip`, even --strip-debug, leaves numpy's OpenBLAS unloadable ("ELF load
command address/offset not page-aligned"), which is why PyInstaller's own
strip option stays off.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterable
from fnmatch import fnmatchcase
from pathlib import Path

#: Modules imported by name at run time, which PyInstaller cannot see.
#: pyqtgraph's Qt/OpenGLHelpers.py loads both with importlib.import_module on
#: every import of pyqtgraph, GL in use or not.
HIDDEN_IMPORTS = ("PySide6.QtOpenGL", "PySide6.QtOpenGLWidgets")

#: Modules PyInstaller would otherwise pull in; none is used at run time.
EXCLUDED_MODULES = (
    "tkinter",
    "PySide6.QtNetwork",  # the network goes through asyncio/websockets
    "PySide6.QtQml",
    "PySide6.QtQuick",
    "pyqtgraph.opengl",  # 3-D plots need PyOpenGL, which we do not ship
    "pyqtgraph.examples",
    "pyqtgraph.jupyter",
    "numpy.f2py",
    "numpy.testing",
    "lib2to3",
)

# PySide6 wheels keep Qt in PySide6/Qt/ on Linux and macOS, in PySide6/ on Windows.
_PLUGINS = "PySide6/*plugins"
#: Image format plugins RoboDeck has no use for (SVG stays: the icons are SVG).
_IMAGE_FORMATS = ("gif", "icns", "ico", "jpeg", "pdf", "tga", "tiff", "wbmp", "webp")

#: (pattern, reason) of files left out of the bundle.
UNUSED_FILES: tuple[tuple[str, str], ...] = (
    ("PySide6/*translations/*", "Qt's own translations: the app's text is English only"),
    (f"{_PLUGINS}/platforms/*qeglfs*", "full-screen EGL, for devices without a desktop"),
    (f"{_PLUGINS}/platforms/*qlinuxfb*", "framebuffer console, for devices without a desktop"),
    (f"{_PLUGINS}/platforms/*qminimal*", "a test platform that draws nothing"),
    (f"{_PLUGINS}/platforms/*qvnc*", "serves the window over VNC"),
    (f"{_PLUGINS}/platforms/*qvkkhrdisplay*", "Vulkan on a bare display"),
    (f"{_PLUGINS}/platforms/*qdirect2d*", "an experimental Windows back end"),
    (f"{_PLUGINS}/egldeviceintegrations/*", "only used by the EGL full-screen platform"),
    (f"{_PLUGINS}/generic/*", "raw evdev/tuio input, for devices without a desktop"),
    (f"{_PLUGINS}/networkinformation/*", "QtNetwork is not used"),
    (f"{_PLUGINS}/tls/*", "QtNetwork is not used (TLS goes through Python's ssl)"),
    *(
        (f"{_PLUGINS}/imageformats/*q{name}*", "icons are SVG; PNG is built into QtGui")
        for name in _IMAGE_FORMATS
    ),
    (f"{_PLUGINS}/wayland-graphics-integration-client/*server*", "for Wayland compositors"),
    (f"{_PLUGINS}/wayland-shell-integration/*fullscreen-shell*", "embedded Wayland shells"),
    (f"{_PLUGINS}/wayland-shell-integration/*ivi-shell*", "embedded Wayland shells"),
    (f"{_PLUGINS}/wayland-shell-integration/*qt-shell*", "embedded Wayland shells"),
    (f"{_PLUGINS}/wayland-shell-integration/*wl-shell*", "pre-2018 Wayland shell"),
    ("*libQt6Network*", "QtNetwork is not used; its hook brings the library all the same"),
    ("*libQt6EglFS*", "only used by the EGL full-screen platform"),
    ("*libQt6EglFsKms*", "only used by the EGL full-screen platform"),
    ("pyqtgraph/examples/*", "pyqtgraph's demo programs"),
    ("*/tests/*", "test suites of bundled packages"),
)


def unused_reason(dest: str) -> str | None:
    """Why the file at bundle path `dest` is left out, or None to keep it."""
    path = dest.replace("\\", "/")
    return next((why for pattern, why in UNUSED_FILES if fnmatchcase(path, pattern)), None)


def keep(dest: str) -> bool:
    """True if the file at bundle path `dest` belongs in the bundle."""
    return unused_reason(dest) is None


#: The interpreter's binaries, whose debug information is dropped.
STRIP_DEBUG = ("libpython3*", "python3*/lib-dynload/*")

#: A TOC entry of PyInstaller: (path in the bundle, source path, type).
Entry = tuple[str, str, str]


def strip_debug(binaries: Iterable[Entry], workdir: Path) -> list[Entry]:
    """`binaries` with the interpreter's files swapped for copies without debug info.

    Linux only (elsewhere, or without binutils' strip, the list is unchanged);
    copies are kept in `workdir` and redone only when their source is newer.
    """
    tool = shutil.which("strip")
    if not sys.platform.startswith("linux") or tool is None:
        return list(binaries)
    result = []
    for dest, src, kind in binaries:
        if any(fnmatchcase(dest, pattern) for pattern in STRIP_DEBUG):
            src = str(_stripped_copy(tool, Path(src), workdir / dest))
        result.append((dest, src, kind))
    return result


def _stripped_copy(tool: str, src: Path, out: Path) -> Path:
    if not out.exists() or out.stat().st_mtime < src.stat().st_mtime:
        out.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([tool, "--strip-debug", "-o", str(out), str(src)], check=True)
    return out
