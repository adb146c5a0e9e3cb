"""A tiny synchronous signal, so the core can announce events without Qt.

ui/ connects these to Qt signals in one place (ui/bridge.py); tests connect
plain callables. Handlers run in the emitter's thread, in connection order;
one handler raising does not stop the others (the error is logged).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Generic, ParamSpec

P = ParamSpec("P")
log = logging.getLogger(__name__)


class Signal(Generic[P]):
    """A list of callbacks invoked with the same arguments by `emit`."""

    def __init__(self) -> None:
        self._handlers: list[Callable[P, object]] = []

    def connect(self, handler: Callable[P, object]) -> None:
        """Call `handler` on every later `emit`."""
        self._handlers.append(handler)

    def disconnect(self, handler: Callable[P, object]) -> None:
        """Stop calling `handler`; unknown handlers are ignored."""
        if handler in self._handlers:
            self._handlers.remove(handler)

    def emit(self, *args: P.args, **kwargs: P.kwargs) -> None:
        """Call every handler; a failing handler is logged, not propagated."""
        for handler in list(self._handlers):
            try:
                handler(*args, **kwargs)
            except Exception:
                log.exception("signal handler %r failed", handler)
