"""RoboDeck's desktop app: PySide6 widgets over the Qt-free core in app/.

Start it with `robodeck` or `python -m ui`; ui.cli is the entry point.
"""
