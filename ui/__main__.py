"""`python -m ui` starts the desktop app, exactly like the `robodeck` script."""

import sys

from ui.cli import main

sys.exit(main())
