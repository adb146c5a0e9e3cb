"""Build RoboDeck with PyInstaller, or reuse a build that is newer than its sources.

    python packaging/freeze.py            folder build dist/RoboDeck/ (CI, smoke test)
    python packaging/freeze.py --all      + single file dist/RoboDeck-<version>, and on
                                           macOS dist/RoboDeck.app (`make package`)
    python packaging/freeze.py --archive  + dist/RoboDeck-<version>-<os>-<arch>.tar.gz
                                           (.zip on Windows)
    python packaging/freeze.py --force    rebuild even if the build looks fresh

A PyInstaller run costs a minute or more on a small machine, so a build
newer than every source file and every bundled package is kept as it is.
Each build prints its size and file count against the size budget.
"""

from __future__ import annotations

import argparse
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import bundle

#: The folder build must stay under this (the issue's budget).
SIZE_BUDGET_MB = 250.0


def targets(everything: bool) -> list[Path]:
    """The files a build must produce: the folder build's program, and maybe more."""
    wanted = [bundle.folder_executable()]
    if everything:
        wanted.append(
            bundle.macos_app() if sys.platform == "darwin" else bundle.onefile_executable()
        )
    return wanted


def run_pyinstaller(everything: bool) -> None:
    """One PyInstaller run of the spec; one analysis feeds every build it makes."""
    command = [
        sys.executable,
        "-m",
        "PyInstaller",
        "--noconfirm",
        "--log-level=WARN",
        f"--distpath={bundle.DIST}",
        f"--workpath={bundle.WORK}",
        str(bundle.SPEC),
    ]
    if not everything:
        command += ["--", "--folder-only"]
    subprocess.run(command, cwd=bundle.ROOT, check=True)


def ensure_built(everything: bool = False, force: bool = False) -> bool:
    """Build unless every target is fresh; True if a build ran."""
    if not force and all(bundle.is_fresh(t) for t in targets(everything)):
        return False
    started = time.monotonic()
    run_pyinstaller(everything)
    print(f"PyInstaller: built in {time.monotonic() - started:.0f} s")
    return True


def report(path: Path, budget_mb: float | None = None) -> bundle.Stats:
    """Print a build's size and file count (and its budget, if it has one)."""
    found = bundle.stats(path)
    limit = f" (budget {budget_mb:.0f} MB)" if budget_mb is not None else ""
    shown = path.relative_to(bundle.ROOT) if path.is_relative_to(bundle.ROOT) else path
    print(f"{shown}: {found.size_mb:.1f} MB{limit}, {found.files} files")
    return found


def archive() -> Path:
    """The folder build packed to download: .zip on Windows, else .tar.gz (keeps symlinks)."""
    machine = platform.machine().lower() or "unknown"
    system = platform.system().lower() or sys.platform
    base = bundle.DIST / f"{bundle.onefile_name()}-{system}-{machine}"
    kind = "zip" if sys.platform == "win32" else "gztar"
    return Path(shutil.make_archive(str(base), kind, bundle.DIST, bundle.APP_NAME))


def main(argv: Sequence[str] | None = None) -> int:
    """Command line; see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--all", action="store_true", help="also the single-file build")
    parser.add_argument("--archive", action="store_true", help="also an archive to download")
    parser.add_argument("--force", action="store_true", help="rebuild even if fresh")
    args = parser.parse_args(argv)
    if not ensure_built(everything=args.all, force=args.force):
        print("PyInstaller: reused the build (newer than every source)")
    folder = report(bundle.folder_build(), SIZE_BUDGET_MB)
    for extra in targets(args.all)[1:]:
        report(extra)
    if args.archive:
        report(archive())
    if folder.size_mb > SIZE_BUDGET_MB:
        print(f"the folder build is over its {SIZE_BUDGET_MB:.0f} MB budget: see packaging/trim.py")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
