"""Run asyncio on the Qt event loop (qasync), in phases.

1. Synchronous preparation (the caller builds QApplication and windows).
2. `run()` starts an asyncio runner whose loop *is* the Qt loop, so network
   code and widgets share one thread and never need locks.
3. The main coroutine awaits one quit future, set exactly once by
   QApplication.aboutToQuit, then cleans up while the loop still runs.

Background tasks started with `spawn()` are kept in a set until they finish:
asyncio only holds weak references to tasks, and a task collected mid-flight
would silently never finish its work (e.g. sending the final stop).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
import sys
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import qasync
from PySide6.QtCore import QMessageLogContext, QtMsgType, qInstallMessageHandler
from PySide6.QtWidgets import QApplication

log = logging.getLogger(__name__)
T = TypeVar("T")

_tasks: set[asyncio.Task[Any]] = set()


def spawn(coro: Coroutine[Any, Any, T], name: str | None = None) -> asyncio.Task[T]:
    """Start `coro` in the background, keep it alive, log it if it fails."""
    task = asyncio.get_running_loop().create_task(coro, name=name)
    _tasks.add(task)
    task.add_done_callback(_forget)
    return task


def _forget(task: asyncio.Task[Any]) -> None:
    _tasks.discard(task)
    if not task.cancelled() and task.exception() is not None:
        log.error("background task %s failed", task.get_name(), exc_info=task.exception())


async def drain_tasks(timeout: float = 2.0) -> None:
    """Wait (bounded) for background tasks, e.g. a last stop being sent."""
    pending = [t for t in _tasks if not t.done()]
    if pending:
        await asyncio.wait(pending, timeout=timeout)


def quit_future(app: QApplication) -> asyncio.Future[None]:
    """The future the app's main coroutine awaits; aboutToQuit resolves it.

    aboutToQuit comes after Qt's loop has stopped, too late to close a link
    cleanly, so the main window also resolves it (through `resolve`) when it
    is asked to close; whichever comes first wins, the other does nothing.
    """
    future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    app.aboutToQuit.connect(lambda: resolve(future))
    return future


def resolve(future: asyncio.Future[None]) -> None:
    """Set `future` unless it is already done (so it is set exactly once)."""
    if not future.done():
        future.set_result(None)


def quit_on_signals(future: asyncio.Future[None]) -> None:
    """Ctrl+C in the terminal (SIGINT) or SIGTERM quit like closing the window.

    Without this, Ctrl+C would raise KeyboardInterrupt wherever the loop was,
    skipping the stop sent to a moving robot.
    """
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # e.g. Windows
            loop.add_signal_handler(signum, resolve, future)


#: Harmless messages of Qt platform plugins, e.g. the offscreen plugin warns
#: whenever a window's minimum size changes.
PLATFORM_NOISE = ("This plugin does not support propagateSizeHints()",)


def quiet_platform_noise() -> None:
    """Drop known-harmless Qt platform messages; print every other one as Qt would.

    A packaged build's smoke test fails on unexpected stderr lines, and
    these say nothing a user could act on.
    """

    def handler(mode: QtMsgType, context: QMessageLogContext, message: str) -> None:
        if message not in PLATFORM_NOISE:
            print(message, file=sys.stderr)

    qInstallMessageHandler(handler)


def run(app: QApplication, main: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run `main()` to completion with the Qt loop as the asyncio loop.

    Afterwards garbage is collected here, on the GUI thread: the closed loop
    and its Qt timers sit in reference cycles, and if another thread's
    allocation triggered their collection, Qt would be asked to stop timers
    from the wrong thread.
    """
    try:
        with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner:
            return runner.run(main())
    finally:
        gc.collect()
