"""Where the PyInstaller builds land, what they are built from, and how big they are.

The spec, the build script, the smoke test and the install script's tests
all need the same names and paths; they live here once. Kept free of
PyInstaller and Qt so any of them can import it cheaply.
"""

from __future__ import annotations

import os
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGING = ROOT / "packaging"
SPEC = PACKAGING / "robodeck.spec"
DIST = ROOT / "dist"
WORK = ROOT / "build" / "pyinstaller"
ICON_DIR = ROOT / "build" / "icons"

APP_NAME = "RoboDeck"
BUNDLE_ID = "org.robodeck.RoboDeck"
EXE_SUFFIX = ".exe" if sys.platform == "win32" else ""

#: What a build is made of, besides the installed packages below (the smoke
#: test and the build script are not: changing them needs no new build).
SOURCE_GLOBS = (
    "app/**/*.py",
    "ui/**/*.py",
    "resources/**/*",
    "packaging/robodeck.spec",
    "packaging/entry.py",
    "packaging/bundle.py",
    "packaging/trim.py",
    "packaging/icons.py",
    "packaging/appinfo.py",
    "packaging/install-linux.sh",
    "pyproject.toml",
)
#: Installed distributions whose upgrade must trigger a rebuild.
BUNDLED_DISTRIBUTIONS = (
    "PySide6-Essentials",
    "shiboken6",
    "pyqtgraph",
    "numpy",
    "qasync",
    "websockets",
    "platformdirs",
    "pyinstaller",
    "pyinstaller-hooks-contrib",
)


def version() -> str:
    """The app's version, from pyproject.toml (the one place it is written)."""
    with (ROOT / "pyproject.toml").open("rb") as f:
        return str(tomllib.load(f)["project"]["version"])


def folder_build() -> Path:
    """The folder build: dist/RoboDeck/, the one to ship."""
    return DIST / APP_NAME


def folder_executable() -> Path:
    """The program inside the folder build."""
    return folder_build() / f"{APP_NAME}{EXE_SUFFIX}"


def onefile_name() -> str:
    """Name of the single-file build, versioned so downloads do not overwrite each other."""
    return f"{APP_NAME}-{version()}"


def onefile_executable() -> Path:
    """The single-file build."""
    return DIST / f"{onefile_name()}{EXE_SUFFIX}"


def macos_app() -> Path:
    """The .app bundle (macOS only)."""
    return DIST / f"{APP_NAME}.app"


def _sources() -> Iterator[Path]:
    for pattern in SOURCE_GLOBS:
        yield from (p for p in ROOT.glob(pattern) if p.is_file() and "__pycache__" not in p.parts)
    for name in BUNDLED_DISTRIBUTIONS:
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        # The metadata folder is written anew by every install or upgrade.
        record = next((f for f in dist.files or () if f.name == "RECORD"), None)
        if record is not None:
            yield Path(str(dist.locate_file(record))).parent


def newest_source_mtime() -> float:
    """The modification time of the newest input of a build."""
    return max((p.stat().st_mtime for p in _sources() if p.exists()), default=0.0)


def is_fresh(target: Path) -> bool:
    """True if `target` exists and is newer than every input of the build."""
    try:
        built = target.stat().st_mtime
    except FileNotFoundError:
        return False
    return built > newest_source_mtime()


@dataclass(frozen=True)
class Stats:
    """Size on disk and number of files of a build."""

    size_bytes: int
    files: int

    @property
    def size_mb(self) -> float:
        return self.size_bytes / 1e6


def stats(path: Path) -> Stats:
    """Size and file count of a file or folder; symlinks count as links, not targets."""
    if path.is_file():
        return Stats(path.stat().st_size, 1)
    size = files = 0
    for folder, _, names in os.walk(path):
        for name in names:
            size += (Path(folder) / name).lstat().st_size
            files += 1
    return Stats(size, files)
