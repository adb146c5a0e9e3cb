"""What the operating system shows about the app: Windows' version resource and
macOS' Info.plist, both made from pyproject.toml's version.

Windows reads "Details" in Explorer from a version resource; PyInstaller
takes it as a text file holding a `VSVersionInfo(...)` expression, which we
write here (PyInstaller's own classes for it need a Windows-only library).
macOS reads the .app's Info.plist; besides names and version it carries
the sentence macOS shows when it asks the user to let RoboDeck reach the
local network, where the robots are.
"""

from __future__ import annotations

import re
from typing import Any

from bundle import APP_NAME, BUNDLE_ID

DESCRIPTION = "Drive a small robot from the desktop and watch its sensors live"
COPYRIGHT = "RoboDeck contributors, MIT License"
LOCAL_NETWORK_REASON = "RoboDeck connects to robots and relay servers on your network."


def version_tuple(version: str) -> tuple[int, int, int, int]:
    """`0.1.0` -> (0, 1, 0, 0); a suffix such as `rc1` or `.dev2` is dropped."""
    match = re.match(r"^\d+(\.\d+)*", version)
    if match is None:
        raise ValueError(f"not a version number: {version!r}")
    numbers = [int(n) for n in match.group(0).split(".")][:4]
    a, b, c, d = [*numbers, 0, 0, 0][:4]
    return (a, b, c, d)


def windows_version_file(version: str) -> str:
    """The text of a PyInstaller version file for the RoboDeck executable."""
    v = version_tuple(version)
    strings = {
        "CompanyName": "RoboDeck",
        "FileDescription": APP_NAME,
        "FileVersion": version,
        "InternalName": APP_NAME,
        "LegalCopyright": COPYRIGHT,
        "OriginalFilename": f"{APP_NAME}.exe",
        "ProductName": APP_NAME,
        "ProductVersion": version,
    }
    struct_lines = ",\n".join(
        f"          StringStruct({key!r}, {value!r})" for key, value in strings.items()
    )
    return f"""VSVersionInfo(
  ffi=FixedFileInfo(filevers={v}, prodvers={v}, mask=0x3f, flags=0x0,
                    OS=0x40004, fileType=0x1, subtype=0x0, date=(0, 0)),
  kids=[
    StringFileInfo([
      StringTable('040904B0', [
{struct_lines}
      ])
    ]),
    VarFileInfo([VarStruct('Translation', [1033, 1200])])
  ]
)
"""


def info_plist(version: str) -> dict[str, Any]:
    """Info.plist entries for RoboDeck.app (PyInstaller fills in the executable's)."""
    return {
        "CFBundleName": APP_NAME,
        "CFBundleDisplayName": APP_NAME,
        "CFBundleIdentifier": BUNDLE_ID,
        "CFBundleShortVersionString": version,
        "CFBundleVersion": version,
        "CFBundleGetInfoString": DESCRIPTION,
        "NSHumanReadableCopyright": COPYRIGHT,
        "NSHighResolutionCapable": True,
        "NSRequiresAquaSystemAppearance": False,
        "LSApplicationCategoryType": "public.app-category.developer-tools",
        "NSLocalNetworkUsageDescription": LOCAL_NETWORK_REASON,
    }
