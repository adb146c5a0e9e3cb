"""`python -m app.sim`: the same as the `robodeck-sim` program."""

import sys

from app.sim.cli import main

sys.exit(main())
