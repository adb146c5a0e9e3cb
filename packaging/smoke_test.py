"""Start the packaged RoboDeck the way a user would, and fail on anything amiss.

    python packaging/smoke_test.py             build (or reuse) dist/RoboDeck/, check it
    python packaging/smoke_test.py --no-build  check the build that is there
    python packaging/smoke_test.py --onefile   also build and check the single file
                                                 (on macOS: RoboDeck.app)

Every run of the binary gets a fresh temporary home folder, an empty
working folder, a minimal environment with no Python on PATH, and Qt's
offscreen platform. Where the system allows it (Linux, `unshare`), the
self-test and screenshot also run in a private network namespace that has
only a loopback interface: the built-in simulator needs nothing more.

Checks, each printed with its measurement and budget:
  size        the folder build is under its size budget
  libraries   every Qt/PySide/ICU/Python library a bundled file needs is bundled
  self-test   `--self-test` exits 0, says ok, and prints nothing unexpected on stderr
  screenshot  `--screenshot` writes a PNG that shows live plots
  cold start  process start to the first frame of the window, median of 3 starts
  X11         the same start, and the self-test, on a real (virtual) X server, if
              Xvfb is installed: the path a double-click takes on a Linux desktop
  own files   nothing was written into the bundle or the working folder; on Linux
              the settings the GUI saved on quitting are in ~/.config/robodeck
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import bundle
import freeze
import plotcheck

START_BUDGET_S = 2.5
STARTS = 3
#: --self-test must finish in 3 s and --screenshot in about 4 s.
RUN_TIMEOUT_S = 30.0
#: Qt logs this (category qt.widgets.painting) when a window's first frame
#: reaches the screen, on every platform including offscreen.
FIRST_FRAME = re.compile(r"Flushing .* to QWidgetWindow")
#: Lines a healthy run may print on stderr; each needs a reason. None so far.
ALLOWED_STDERR: tuple[re.Pattern[str], ...] = ()
#: A windowed (console=False) Windows program has no stdout or stderr at all.
NO_STDIO = sys.platform == "win32"
#: Libraries the bundle must carry itself; anything else comes from the system.
BUNDLED_LIBRARY = re.compile(r"^lib(Qt6|pyside6|shiboken6|icu|python3)")


class CheckFailed(Exception):
    """Raised by a check with the reason it failed."""


@dataclass
class Sandbox:
    """Temporary home and working folders for one run of the binary."""

    root: Path
    program: Path
    network_jail: list[str] = field(default_factory=list)
    display: str | None = None  # an X11 display instead of Qt's offscreen platform

    @property
    def home(self) -> Path:
        return self.root / "home"

    @property
    def cwd(self) -> Path:
        return self.root / "cwd"

    def env(self, extra: Mapping[str, str] = {}) -> dict[str, str]:
        """A minimal environment: no Python, no virtualenv, offscreen Qt (or X11)."""
        base = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
        if sys.platform in ("win32", "darwin"):  # their system needs more variables
            base = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL"))}
        runtime = self.root / "runtime"
        runtime.mkdir(mode=0o700, exist_ok=True)
        return {
            **base,
            "HOME": str(self.home),
            "USERPROFILE": str(self.home),
            "XDG_RUNTIME_DIR": str(runtime),
            **({"DISPLAY": self.display} if self.display else {"QT_QPA_PLATFORM": "offscreen"}),
            **extra,
        }

    def run(self, args: Sequence[str], jailed: bool = True) -> subprocess.CompletedProcess[str]:
        """Run the packaged app to completion with `args`; a hang fails with its stderr."""
        command = [*(self.network_jail if jailed else []), str(self.program), *args]
        try:
            return subprocess.run(
                command,
                cwd=self.cwd,
                env=self.env(),
                capture_output=True,
                text=True,
                timeout=RUN_TIMEOUT_S,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise CheckFailed(
                f"still running after {RUN_TIMEOUT_S:.0f} s, killed; stderr ends:\n    "
                + "\n    ".join(_text(exc.stderr).splitlines()[-12:])
            ) from None


def _text(output: bytes | str | None) -> str:
    if isinstance(output, bytes):
        return output.decode("utf-8", "replace")
    return output or ""


@contextmanager
def sandbox(program: Path) -> Iterator[Sandbox]:
    """A fresh Sandbox for `program`, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="robodeck-smoke-") as tmp:
        box = Sandbox(Path(tmp), program, network_jail())
        box.home.mkdir()
        box.cwd.mkdir()
        yield box


def network_jail() -> list[str]:
    """A command prefix that runs a program with loopback as its only network, if possible."""
    if not sys.platform.startswith("linux") or shutil.which("unshare") is None:
        return []
    for flags in (["--net"], ["--net", "--map-root-user"]):
        prefix = ["unshare", *flags, "sh", "-c", 'ip link set lo up && exec "$0" "$@"']
        probe = subprocess.run([*prefix, "true"], capture_output=True, check=False)
        if probe.returncode == 0:
            return prefix
    return []


def unexpected(stderr: str) -> list[str]:
    """The stderr lines no entry of ALLOWED_STDERR explains."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    return [line for line in lines if not any(p.search(line) for p in ALLOWED_STDERR)]


def check_size() -> str:
    found = bundle.stats(bundle.folder_build())
    detail = f"{found.size_mb:.1f} MB (budget {freeze.SIZE_BUDGET_MB:.0f} MB), {found.files} files"
    if found.size_mb > freeze.SIZE_BUDGET_MB:
        raise CheckFailed(detail)
    return detail


def check_libraries() -> str:
    """No bundled file needs a Qt/PySide/ICU/Python library that is not in the bundle.

    Only the offscreen platform runs here; this catches a trim rule that
    dropped something the X11, Wayland or other plugins load on a desktop.
    """
    if not sys.platform.startswith("linux") or shutil.which("ldd") is None:
        return "skipped (needs Linux and ldd)"
    internal = bundle.folder_build() / "_internal"
    elves = [p for p in bundle.folder_build().rglob("*") if _is_elf(p)]
    env = {**os.environ, "LD_LIBRARY_PATH": f"{internal}:{internal / 'PySide6' / 'Qt' / 'lib'}"}
    out = subprocess.run(
        ["ldd", *map(str, elves)], capture_output=True, text=True, env=env, check=False
    ).stdout
    missing, current = [], ""
    for line in out.splitlines():
        if not line.startswith(("\t", " ")):
            current = line.rstrip(":")
        elif "not found" in line and BUNDLED_LIBRARY.match(line.strip()):
            missing.append(f"{Path(current).name} needs {line.split()[0]}")
    if missing:
        raise CheckFailed("; ".join(sorted(set(missing))))
    return f"{len(elves)} binaries, none misses a bundled library"


def _is_elf(path: Path) -> bool:
    if path.is_symlink() or not path.is_file():
        return False
    with path.open("rb") as f:
        return f.read(4) == b"\x7fELF"


def check_self_test(box: Sandbox) -> str:
    started = time.monotonic()
    done = box.run(["--self-test"])
    elapsed = time.monotonic() - started
    extra = unexpected(done.stderr)
    summary = done.stdout.strip().splitlines()[-1:] or ["(no output)"]
    if NO_STDIO and done.returncode == 0 and not done.stdout:
        return f"exit 0 (a windowed Windows build has no stdout) [{elapsed:.1f} s wall]"
    if done.returncode != 0 or extra or "self-test ok" not in summary[0]:
        raise CheckFailed(
            f"exit {done.returncode}; stdout: {summary[0]}; unexpected stderr:\n    "
            + "\n    ".join(extra or ["(none)"])
        )
    return f"{summary[0]} [{elapsed:.1f} s wall]"


def check_screenshot(box: Sandbox) -> str:
    shot = box.root / "shot.png"
    done = box.run(["--screenshot", str(shot)])
    extra = unexpected(done.stderr)
    if done.returncode != 0 or extra:
        raise CheckFailed(
            f"exit {done.returncode}; unexpected stderr:\n    " + "\n    ".join(extra)
        )
    if not shot.exists():
        raise CheckFailed(f"exit 0 but no {shot.name} was written")
    found = plotcheck.traces(plotcheck.load_rgb(shot), plotcheck.channel_colours())
    drawn = plotcheck.curves(found)
    detail = f"{len(drawn)} live curves (need {plotcheck.MIN_CURVES})"
    if not plotcheck.shows_live_plot(found):
        kept = Path(tempfile.gettempdir()) / "robodeck-smoke-shot.png"
        shutil.copy(shot, kept)
        raise CheckFailed(f"{detail}; traces {found}; image kept as {kept}")
    return detail


def time_to_first_frame(box: Sandbox) -> float:
    """Seconds from starting the binary to its window's first frame; stops it then."""
    env = box.env({"QT_LOGGING_RULES": "qt.widgets.painting.debug=true"})
    seen = threading.Event()
    stamp: list[float] = []
    tail: deque[str] = deque(maxlen=20)
    started = time.perf_counter()
    proc = subprocess.Popen(
        [str(box.program)],
        cwd=box.cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )

    def watch() -> None:  # keeps draining after the match so the app never blocks
        assert proc.stderr is not None
        for line in proc.stderr:
            if not seen.is_set() and FIRST_FRAME.search(line):
                stamp.append(time.perf_counter() - started)
                seen.set()
            tail.append(line.rstrip())

    reader = threading.Thread(target=watch, daemon=True)
    reader.start()
    try:
        deadline = started + RUN_TIMEOUT_S / 2
        while not seen.wait(0.02):
            if proc.poll() is not None or time.perf_counter() > deadline:
                reader.join(2)
                why = (
                    f"exited with {proc.returncode}" if proc.returncode is not None else "timed out"
                )
                raise CheckFailed(
                    f"no window frame: {why}; stderr ends:\n    " + "\n    ".join(tail)
                )
        return stamp[0]
    finally:
        _stop(proc)
        reader.join(5)


def _stop(proc: subprocess.Popen[Any]) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def check_cold_start(box: Sandbox) -> str:
    if NO_STDIO:
        return "skipped (a windowed Windows build has no stderr to log its first frame on)"
    times = [time_to_first_frame(box) for _ in range(STARTS)]
    median = statistics.median(times)
    shown = ", ".join(f"{t:.2f}" for t in times)
    detail = f"{median:.2f} s median (budget {START_BUDGET_S} s); starts: {shown} s"
    if median > START_BUDGET_S:
        raise CheckFailed(detail)
    return detail


@contextmanager
def xvfb() -> Iterator[str]:
    """A virtual X server for the duration; yields its display name (':N')."""
    read_end, write_end = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_end), "-screen", "0", "1400x900x24", "-nolisten", "tcp"],
        pass_fds=(write_end,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_end)
    try:
        with os.fdopen(read_end) as ready:  # Xvfb writes its number once it accepts clients
            number = ready.readline().strip()
        if not number:
            raise CheckFailed(f"Xvfb did not start (exit {server.wait()})")
        yield f":{number}"
    finally:
        _stop(server)


def check_x11(box: Sandbox) -> str:
    """The path a double-click takes on a Linux desktop: Qt's X11 plugin, a real X server.

    Needs Xvfb, and the X11 libraries Qt loads from the system (the app
    names any that are missing, and this check fails with its words).
    """
    if not sys.platform.startswith("linux") or shutil.which("Xvfb") is None:
        return "skipped (needs Xvfb)"
    with xvfb() as display:
        on_x11 = replace(box, display=display)
        start = check_cold_start(on_x11)
        test = check_self_test(on_x11)
    return f"{start}; {test}"


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file below `folder` with its size and modification time."""
    return {
        str(p.relative_to(folder)): (p.lstat().st_size, p.lstat().st_mtime_ns)
        for p in folder.rglob("*")
        if not p.is_dir() or p.is_symlink()
    }


#: Where the app keeps its files on Linux (platformdirs), relative to home.
LINUX_APP_FOLDERS = (".config/robodeck/", ".local/share/robodeck/")
#: The GUI saves its settings when it quits, SIGTERM included.
LINUX_SETTINGS = ".config/robodeck/settings.json"


def check_own_files(box: Sandbox, before: Mapping[str, tuple[int, int]]) -> str:
    """Nothing lands beside the program or in the cwd; on Linux, settings land in ~/.config."""
    after = snapshot(bundle.folder_build())
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    stray = sorted(str(p.relative_to(box.cwd)) for p in box.cwd.rglob("*"))
    if changed or stray:
        raise CheckFailed(f"written beside the program: {changed[:10]}; in the cwd: {stray[:10]}")
    written = sorted(
        p.relative_to(box.home).as_posix()
        for p in box.home.rglob("*")
        if p.is_file() and "robodeck" in str(p).lower()
    )
    detail = "bundle and working folder untouched; app files: " + (", ".join(written) or "none")
    if sys.platform.startswith("linux"):
        misplaced = [w for w in written if not w.startswith(LINUX_APP_FOLDERS)]
        if misplaced or LINUX_SETTINGS not in written:
            raise CheckFailed(
                f"{detail} (expected {LINUX_SETTINGS}, nothing outside {LINUX_APP_FOLDERS})"
            )
    return detail


def run_checks(checks: Sequence[tuple[str, Callable[[], str]]]) -> int:
    """Run every check, print each result, return the number that failed."""
    failed = 0
    for name, check in checks:
        try:
            print(f"ok    {name}: {check()}", flush=True)
        except (CheckFailed, OSError, ValueError) as exc:
            failed += 1
            print(f"FAIL  {name}: {exc}", flush=True)
    return failed


def folder_checks(box: Sandbox) -> list[tuple[str, Callable[[], str]]]:
    """Every check, for the folder build (the one to ship)."""
    before = snapshot(bundle.folder_build())
    return [
        ("size", check_size),
        ("libraries", check_libraries),
        ("self-test", lambda: check_self_test(box)),
        ("screenshot", lambda: check_screenshot(box)),
        ("cold start", lambda: check_cold_start(box)),
        ("X11", lambda: check_x11(box)),
        ("own files", lambda: check_own_files(box, before)),
    ]


def second_build() -> tuple[str, Path]:
    """The other build `make package` makes: the .app on macOS, else the single file."""
    if sys.platform == "darwin":
        return ".app", bundle.macos_app() / "Contents" / "MacOS" / bundle.APP_NAME
    return "single file", bundle.onefile_executable()


def second_build_checks(box: Sandbox) -> list[tuple[str, Callable[[], str]]]:
    """Does the other build run, and how fast (a single file unpacks itself each start)."""
    name, program = second_build()
    size = f"{bundle.stats(program).size_mb:.1f} MB"
    return [
        (name, lambda: f"{size}; {check_self_test(box)}"),
        (f"{name} start", lambda: check_cold_start(box)),
    ]


def main(argv: Sequence[str] | None = None) -> int:
    """Command line; see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-build", action="store_true", help="check the existing build")
    parser.add_argument(
        "--onefile", action="store_true", help="also the single file (the .app on macOS)"
    )
    args = parser.parse_args(argv)
    if not args.no_build and not freeze.ensure_built(everything=args.onefile):
        print("PyInstaller: reused the build (newer than every source)")
    programs = [(bundle.folder_executable(), folder_checks)]
    if args.onefile:
        programs.append((second_build()[1], second_build_checks))
    passed = failed = 0
    for program, checks in programs:
        if not program.exists():
            print(f"FAIL  no build at {program}")
            failed += 1
            continue
        with sandbox(program) as box:
            jail = "loopback-only network namespace" if box.network_jail else "host network"
            print(f"smoke test of {program} ({jail})", flush=True)
            listed = checks(box)
            bad = run_checks(listed)
        passed, failed = passed + len(listed) - bad, failed + bad
    print(f"smoke: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
