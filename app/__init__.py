"""RoboDeck core: protocol, link, drive model, telemetry, relay and simulator.

Nothing in this package imports Qt (tests/test_no_qt.py enforces it), so the
relay and the simulator run headless and the core is tested without a screen.
"""

__version__ = "0.1.0"
