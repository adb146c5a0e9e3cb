"""Fast checks of the packaging: the spec's decisions, trim rules, icons, the
desktop entry, the Linux menu install and the screenshot check.

The real PyInstaller build is exercised by packaging/smoke_test.py (`make
smoke`); here the spec runs against stand-ins for PyInstaller's build
classes, so what it would build, and from what, is checked in well under a
second.
"""

from __future__ import annotations

import ast
import configparser
import os
import plistlib
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGING = ROOT / "packaging"
sys.path.insert(0, str(PACKAGING))

import appinfo  # noqa: E402
import bundle  # noqa: E402
import icons  # noqa: E402
import plotcheck  # noqa: E402
import trim  # noqa: E402

# --------------------------------------------------------------------- the spec


class Recorder:
    """Stands in for one of PyInstaller's build classes; remembers its arguments."""

    made: list[Recorder]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.args, self.kwargs = args, kwargs
        self.made.append(self)


def _run_spec(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *spec_args: str, platform: str = "linux"
) -> dict[str, list[Recorder]]:
    made: dict[str, list[Recorder]] = {}

    def kind(name: str, **attrs: Any) -> type[Recorder]:
        made[name] = []
        return type(name, (Recorder,), {"made": made[name], **attrs})

    analysis_outputs = {
        "binaries": [
            ("PySide6/Qt/plugins/platforms/libqxcb.so", "/x/libqxcb.so", "BINARY"),
            ("PySide6/Qt/plugins/platforms/libqvnc.so", "/x/libqvnc.so", "BINARY"),
        ],
        "datas": [
            ("PySide6/Qt/translations/qt_de.qm", "/x/qt_de.qm", "DATA"),
            ("resources/style.qss", str(ROOT / "resources" / "style.qss"), "DATA"),
        ],
        "scripts": [],
        "pure": [],
    }
    dist = tmp_path / "dist"
    monkeypatch.setattr(bundle, "ICON_DIR", tmp_path / "icons")
    monkeypatch.setattr(sys, "argv", [str(bundle.SPEC), *spec_args])
    namespace = {
        "SPECPATH": str(PACKAGING),
        "DISTPATH": str(dist),
        "workpath": str(tmp_path / "work"),
        "Analysis": kind("Analysis", **analysis_outputs),
        "PYZ": kind("PYZ"),
        "EXE": kind("EXE"),
        "COLLECT": kind("COLLECT"),
        "BUNDLE": kind("BUNDLE"),
    }
    (dist / bundle.APP_NAME).mkdir(parents=True)  # COLLECT would have made it
    code = compile(bundle.SPEC.read_text(encoding="utf-8"), str(bundle.SPEC), "exec")
    with monkeypatch.context() as patch:
        patch.setattr(sys, "platform", platform)
        exec(code, namespace)
    return made


def test_spec_builds_a_windowed_folder_build_and_a_versioned_single_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = _run_spec(tmp_path, monkeypatch)
    folder_exe, onefile = made["EXE"]
    assert folder_exe.kwargs["name"] == "RoboDeck" and folder_exe.kwargs["exclude_binaries"]
    assert onefile.kwargs["name"] == f"RoboDeck-{bundle.version()}"
    assert all(not exe.kwargs["console"] for exe in made["EXE"])
    assert made["COLLECT"][0].kwargs["name"] == "RoboDeck"
    analysis = made["Analysis"][0]
    assert analysis.args[0] == [str(PACKAGING / "entry.py")]
    assert "PySide6.QtOpenGL" in analysis.kwargs["hiddenimports"]


def test_spec_folder_only_skips_the_single_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = _run_spec(tmp_path, monkeypatch, "--folder-only")
    assert [exe.kwargs["name"] for exe in made["EXE"]] == ["RoboDeck"]


def test_spec_trims_analysis_and_ships_resources_and_icons(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = _run_spec(tmp_path, monkeypatch, "--folder-only")
    collect = made["COLLECT"][0]
    binaries, datas = collect.args[1], collect.args[2]
    assert [b[0] for b in binaries] == ["PySide6/Qt/plugins/platforms/libqxcb.so"]
    assert [d[0] for d in datas] == ["resources/style.qss"]
    shipped = {dest for _, dest in made["Analysis"][0].kwargs["datas"]}
    assert {"resources", "resources/icons", "resources/icons/png"} <= shipped
    assert (tmp_path / "icons" / "robodeck.ico").exists()
    assert (tmp_path / "icons" / "robodeck.icns").exists()
    assert (tmp_path / "dist" / "RoboDeck" / "install-linux.sh").exists()


def test_spec_on_windows_sets_the_icon_and_version_resource(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = _run_spec(tmp_path, monkeypatch, platform="win32")
    assert len(made["EXE"]) == 2 and not made["BUNDLE"]
    for exe in made["EXE"]:
        assert exe.kwargs["icon"].endswith("robodeck.ico") and not exe.kwargs["console"]
        version_text = Path(exe.kwargs["version"]).read_text(encoding="utf-8")
        assert f"'FileVersion', '{bundle.version()}'" in version_text
    assert not (tmp_path / "dist" / "RoboDeck" / "install-linux.sh").exists()


def test_spec_on_macos_makes_an_app_and_no_single_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = _run_spec(tmp_path, monkeypatch, platform="darwin")
    assert len(made["EXE"]) == 1 and made["EXE"][0].kwargs["icon"].endswith("robodeck.icns")
    (app,) = made["BUNDLE"]
    assert app.args == (made["COLLECT"][0],) and app.kwargs["name"] == "RoboDeck.app"
    assert app.kwargs["bundle_identifier"] == bundle.BUNDLE_ID
    assert app.kwargs["info_plist"]["CFBundleShortVersionString"] == bundle.version()


# --------------------------------------------------------------------- trim rules


@pytest.mark.parametrize(
    "dest",
    [
        "PySide6/Qt/plugins/platforms/libqxcb.so",
        "PySide6/Qt/plugins/platforms/libqwayland.so",
        "PySide6/Qt/plugins/platforms/libqoffscreen.so",
        "PySide6/plugins/platforms/qwindows.dll",
        "PySide6/Qt/plugins/platforms/libqcocoa.dylib",
        "PySide6/Qt/plugins/imageformats/libqsvg.so",
        "PySide6/Qt/plugins/iconengines/libqsvgicon.so",
        "PySide6/Qt/plugins/wayland-shell-integration/libxdg-shell.so",
        "PySide6/Qt/plugins/xcbglintegrations/libqxcb-glx-integration.so",
        "PySide6/Qt/lib/libQt6Widgets.so.6",
        "PySide6/Qt/lib/libQt6OpenGL.so.6",
        "resources/icons/robodeck.svg",
    ],
)
def test_trim_keeps_what_a_desktop_needs(dest: str) -> None:
    assert trim.keep(dest)


@pytest.mark.parametrize(
    "dest",
    [
        "PySide6/Qt/translations/qtbase_de.qm",
        "PySide6/translations/qtbase_fr.qm",
        "PySide6/Qt/plugins/platforms/libqeglfs.so",
        "PySide6/Qt/plugins/platforms/libqvnc.so",
        "PySide6/Qt/plugins/imageformats/libqpdf.so",
        "PySide6/plugins/imageformats/qjpeg.dll",
        "PySide6/Qt/plugins/tls/libqopensslbackend.so",
        "PySide6/Qt/lib/libQt6Network.so.6",
        "numpy/_core/tests/test_api.py",
    ],
)
def test_trim_drops_what_robodeck_never_uses(dest: str) -> None:
    assert not trim.keep(dest)


def _imported_modules(folder: Path) -> set[str]:
    names: set[str] = set()
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
                names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_no_excluded_module_is_imported_by_the_app() -> None:
    used = _imported_modules(ROOT / "app") | _imported_modules(ROOT / "ui")
    excluded = set(trim.EXCLUDED_MODULES)
    clashes = {m for m in used if m in excluded or any(m.startswith(f"{x}.") for x in excluded)}
    assert not clashes, f"the app imports modules the bundle leaves out: {sorted(clashes)}"


# --------------------------------------------------------------------- icons


def _read_all(path: Path) -> list[int]:
    from PySide6.QtGui import QImageReader

    reader = QImageReader(str(path))
    sizes = []
    for index in range(reader.imageCount()):
        reader.jumpToImage(index)
        image = reader.read()
        assert not image.isNull(), f"image {index} of {path.name}: {reader.errorString()}"
        sizes.append(image.width())
    return sizes


def test_icons_hold_every_size_drawn_from_the_svg(tmp_path: Path) -> None:
    made = icons.generate(tmp_path)
    assert _read_all(made.ico) == list(icons.ICO_SIZES)
    assert _read_all(made.icns) == [size for _, size in icons.ICNS_ENTRIES]
    assert sorted(made.pngs) == list(icons.HICOLOR_SIZES)


def test_small_icon_is_drawn_not_blank(tmp_path: Path) -> None:
    from PySide6.QtGui import QImage

    small = QImage(str(icons.generate(tmp_path).pngs[16]))
    assert small.pixelColor(8, 8).alpha() == 255  # the badge fills the middle
    assert small.pixelColor(0, 0).alpha() < 255  # rounded corners stay transparent


# --------------------------------------------------------------------- app info


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0.1.0", (0, 1, 0, 0)),
        ("2.10", (2, 10, 0, 0)),
        ("1.2.3rc1", (1, 2, 3, 0)),
        ("1.2.3.4.5", (1, 2, 3, 4)),
    ],
)
def test_version_tuple(text: str, expected: tuple[int, int, int, int]) -> None:
    assert appinfo.version_tuple(text) == expected


def test_windows_version_file_is_one_python_expression_with_the_version() -> None:
    text = appinfo.windows_version_file("1.2.3")
    tree = ast.parse(text, mode="eval")
    assert isinstance(tree.body, ast.Call) and ast.unparse(tree.body.func) == "VSVersionInfo"
    assert "filevers=(1, 2, 3, 0)" in text and "'ProductVersion', '1.2.3'" in text


def test_info_plist_serialises_and_explains_local_network_use() -> None:
    plist = plistlib.loads(plistlib.dumps(appinfo.info_plist("1.2.3")))
    assert plist["CFBundleShortVersionString"] == "1.2.3"
    assert plist["CFBundleIdentifier"] == bundle.BUNDLE_ID
    assert "network" in plist["NSLocalNetworkUsageDescription"]


# --------------------------------------------------------------------- freshness


def test_a_build_older_than_its_sources_is_rebuilt(tmp_path: Path) -> None:
    target = tmp_path / "RoboDeck"
    assert not bundle.is_fresh(target)
    target.write_bytes(b"")
    newest = bundle.newest_source_mtime()
    os.utime(target, (newest - 10, newest - 10))
    assert not bundle.is_fresh(target)
    os.utime(target, (newest + 10, newest + 10))
    assert bundle.is_fresh(target)


# --------------------------------------------------------------------- desktop entry


def _desktop_entry(path: Path) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(path, encoding="utf-8")
    return parser["Desktop Entry"]


def test_desktop_entry_launches_the_app_with_its_icon() -> None:
    entry = _desktop_entry(ROOT / "resources" / "robodeck.desktop")
    assert entry["Type"] == "Application" and entry["Terminal"] == "false"
    assert entry["Exec"].split()[0] == "robodeck"  # the gui script of a pip install
    assert entry["Icon"] == "robodeck"  # the file the install puts in the icon theme
    assert entry["StartupWMClass"] == "RoboDeck"  # Qt's X11 class: the application name
    assert entry["Categories"].endswith(";")


@pytest.mark.skipif(shutil.which("desktop-file-validate") is None, reason="desktop-file-utils")
def test_desktop_entry_passes_the_freedesktop_validator() -> None:
    done = subprocess.run(
        ["desktop-file-validate", str(ROOT / "resources" / "robodeck.desktop")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0 and not done.stdout.strip(), done.stdout


# --------------------------------------------------------------------- Linux install


def _fake_build(where: Path) -> Path:
    """A folder shaped like dist/RoboDeck whose program just prints a line."""
    build = where / "RoboDeck"
    resources = build / "_internal" / "resources"
    (resources / "icons" / "png").mkdir(parents=True)
    shutil.copy(ROOT / "resources" / "robodeck.desktop", resources)
    shutil.copy(ROOT / "resources" / "icons" / "robodeck.svg", resources / "icons")
    (resources / "icons" / "png" / "robodeck-48.png").write_bytes(b"png")
    program = build / "RoboDeck"
    program.write_text("#!/bin/sh\necho RoboDeck ran\n")
    program.chmod(0o755)
    shutil.copy(PACKAGING / "install-linux.sh", build)
    return build


def _install(build: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"HOME": str(home), "PATH": os.environ["PATH"]}
    return subprocess.run(
        ["bash", str(build / "install-linux.sh"), *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux desktop install")
def test_install_puts_a_working_entry_in_the_menu_and_uninstall_removes_it(tmp_path: Path) -> None:
    home = tmp_path / "a home with spaces"
    build = _fake_build(tmp_path / "Downloads")
    done = _install(build, home)
    assert done.returncode == 0, done.stderr
    shutil.rmtree(tmp_path / "Downloads")  # the installed copy must not need the download

    share = home / ".local" / "share"
    entry = _desktop_entry(share / "applications" / "robodeck.desktop")
    ran = subprocess.run(shlex.split(entry["Exec"]), capture_output=True, text=True, check=True)
    assert ran.stdout == "RoboDeck ran\n"
    assert Path(entry["TryExec"]) == home / ".local" / "opt" / "RoboDeck" / "RoboDeck"
    assert (share / "icons" / "hicolor" / "scalable" / "apps" / "robodeck.svg").exists()
    assert (share / "icons" / "hicolor" / "48x48" / "apps" / "robodeck.png").exists()
    link = home / ".local" / "bin" / "robodeck"
    assert (
        subprocess.run([str(link)], capture_output=True, text=True, check=True).stdout
        == "RoboDeck ran\n"
    )

    installed = home / ".local" / "opt" / "RoboDeck"
    done = _install(installed, home, "--uninstall")
    assert done.returncode == 0, done.stderr
    assert not installed.exists() and not link.exists()
    assert not (share / "applications" / "robodeck.desktop").exists()
    assert not list((share / "icons").rglob("robodeck.*"))


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck")
def test_install_script_passes_shellcheck() -> None:
    done = subprocess.run(
        ["shellcheck", str(PACKAGING / "install-linux.sh")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux desktop install")
def test_install_refuses_to_replace_a_folder_that_is_not_a_build(tmp_path: Path) -> None:
    home = tmp_path / "home"
    precious = home / ".local" / "opt" / "RoboDeck"
    precious.mkdir(parents=True)
    (precious / "thesis.tex").write_text("keep me")
    done = _install(_fake_build(tmp_path), home)
    assert done.returncode != 0 and "not a RoboDeck build" in done.stderr
    assert (precious / "thesis.tex").read_text() == "keep me"


# --------------------------------------------------------------------- screenshot check


def _picture(tmp_path: Path, curves: int, moving: bool) -> Path:
    """A dark window with the style's coloured widgets, and `curves` plotted channels."""
    import math

    from PySide6.QtCore import QPointF, QRect
    from PySide6.QtGui import QColor, QImage, QPainter, QPen

    image = QImage(1280, 780, QImage.Format.Format_RGB32)
    image.fill(QColor("#0d1117"))
    painter = QPainter(image)
    for i, colour in enumerate(("#3fb950", "#58a6ff", "#d29922")):  # pills and borders
        painter.setPen(QPen(QColor(colour), 1))
        painter.drawRect(QRect(960, 440 + 40 * i, 286, 20))
    for index, colour in enumerate(plotcheck.channel_colours()[:curves]):
        painter.setPen(QPen(QColor(colour), 1))
        top = 140 + 150 * index
        points = [
            QPointF(600 + x, top + (30 * math.sin(x / 20) if moving else 0)) for x in range(300)
        ]
        painter.drawPolyline(points)
    painter.end()
    path = tmp_path / "shot.png"
    image.save(str(path))
    return path


@pytest.mark.parametrize(
    ("curves", "moving", "live"),
    [(0, False, False), (4, True, True), (4, False, False), (2, True, False)],
)
def test_screenshot_check_tells_live_plots_from_an_empty_window(
    tmp_path: Path, curves: int, moving: bool, live: bool
) -> None:
    found = plotcheck.traces(
        plotcheck.load_rgb(_picture(tmp_path, curves, moving)), plotcheck.channel_colours()
    )
    assert plotcheck.shows_live_plot(found) is live


# --------------------------------------------------------------------- first-frame marker


def test_qt_still_logs_the_first_frame_the_cold_start_timer_waits_for() -> None:
    from smoke_test import FIRST_FRAME

    program = (
        "from PySide6.QtWidgets import QApplication, QMainWindow\n"
        "from PySide6.QtCore import QTimer\n"
        "app = QApplication([]); w = QMainWindow(); w.show()\n"
        "QTimer.singleShot(100, app.quit); app.exec()\n"
    )
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "QT_LOGGING_RULES": "qt.widgets.painting.debug=true",
    }
    done = subprocess.run(
        [sys.executable, "-c", program],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert any(FIRST_FRAME.search(line) for line in done.stderr.splitlines())
