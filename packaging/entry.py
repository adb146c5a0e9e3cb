"""The packaged app's main script: what runs when a user double-clicks RoboDeck.

PyInstaller runs its script as `__main__`. Pointing it at ui/__main__.py
would make that file both `__main__` and a module of the ui package; a
script of its own outside the package keeps `ui` an ordinary package,
imported exactly as in a checkout, and ui.cli stays the one entry point.
"""

import sys

from ui.cli import main

if __name__ == "__main__":
    sys.exit(main())
