"""The core in app/ must run without Qt: the relay and the simulator ship as
command-line programs on machines with no GUI libraries, and the core's tests
stay fast. Importing every app/ module must not pull in a Qt binding."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import app

GUI_MODULES = ("PySide6", "shiboken6", "qasync", "pyqtgraph", "PyQt5", "PyQt6")


def _core_modules() -> list[str]:
    return sorted(
        info.name
        for info in pkgutil.walk_packages(app.__path__, prefix="app.")
        if not info.name.endswith("__main__")
    )


def test_core_has_modules_to_check() -> None:
    names = _core_modules()
    assert "app.protocol" in names and "app.drive" in names


def test_importing_the_core_imports_no_qt() -> None:
    script = (
        "import importlib, sys\n"
        f"for name in {_core_modules()!r}:\n"
        "    importlib.import_module(name)\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {GUI_MODULES!r}))\n"
    )
    root = Path(app.__file__).parent.parent
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=root, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]", f"the core imported GUI modules: {done.stdout}"
