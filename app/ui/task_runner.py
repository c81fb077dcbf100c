"""One way for a widget to run background work: a coroutine under a key, the latest wins.

Anki's ``CollectionOp`` for an asyncio app. A widget owns one ``TaskRunner`` and starts
each piece of work under a key it names ("test", "search", "save")::

    self._runner = TaskRunner(self)
    self._runner.sig_busy_changed.connect(lambda key, busy: self._update_buttons())
    self._runner.run("search", self._models.search(query),
                     on_success=self._show_results, on_failure=show_error_in(self.message))

What it guarantees, so no widget writes it again:

- **Latest wins per key.** A second ``run`` under a key that is still running cancels the
  older task and drops whatever it returns; only the newest one's callbacks run. (This is
  what the widgets' generation counters did by hand.)
- **Busy per key.** ``busy(key)`` / ``busy()`` and ``sig_busy_changed(key, busy)``; a
  superseded run does not flicker the key to idle and back.
- **Callbacks only while the owner lives.** After the owning widget is deleted nothing is
  delivered (``shiboken6.isValid``), and its running tasks are cancelled.
- **Nothing is lost.** Tasks are referenced until they end (asyncio keeps only weak
  references); a failure with no ``on_failure`` is logged with its traceback, as is an
  exception raised by a callback. Cancellation (``cancel``, supersession, quitting) calls
  neither callback.
- ``cancel(key)`` and ``cancel_all()`` (call it when the widget closes) stop work at once
  and report the key idle.

A user's Stop that the work itself raises (``GenerationCancelled``) is a failure like any
other here and reaches ``on_failure``; the error presenter stays silent on it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import shiboken6
from PySide6.QtCore import QObject, Signal

log = logging.getLogger(__name__)
T = TypeVar("T")

__all__ = ["TaskRunner"]


class TaskRunner(QObject):
    sig_busy_changed = Signal(str, bool)
    """(key, busy): work under ``key`` started (True) or ended, failed or was cancelled (False)."""

    def __init__(self, owner: QObject) -> None:
        super().__init__(owner)  # a child: it dies with the owner, and so do its callbacks
        self._owner = owner
        tasks: dict[str, asyncio.Future[Any]] = {}
        self._tasks = tasks
        # On the owner's deletion the Python side of this runner may already be gone, so
        # the slot holds only the task table, not ``self``.
        owner.destroyed.connect(lambda *_: _cancel_every(tasks))

    # ---- what widgets call -----------------------------------------------------------------

    def run(self, key: str, work: Awaitable[T], *,
            on_success: Callable[[T], object] | None = None,
            on_failure: Callable[[BaseException], object] | None = None) -> asyncio.Future[T]:
        """Start ``work`` under ``key``, superseding (cancelling) a run still under it.

        ``on_success(result)`` or ``on_failure(exception)`` runs on the event loop once it
        ends, if it is still the latest run for ``key`` and the owner still exists.
        """
        older = self._tasks.pop(key, None)
        task = asyncio.ensure_future(work)
        self._tasks[key] = task
        if older is not None:
            older.cancel()  # its done-callback sees it was superseded and stays quiet
        else:
            self.sig_busy_changed.emit(key, True)
        task.add_done_callback(lambda done: self._finished(key, done, on_success, on_failure))
        return task

    def busy(self, key: str | None = None) -> bool:
        """Whether work under ``key`` (any key when None) is running."""
        return bool(self._tasks) if key is None else key in self._tasks

    def cancel(self, key: str) -> None:
        """Stop the work under ``key``; neither of its callbacks will run."""
        task = self._tasks.pop(key, None)
        if task is not None:
            task.cancel()
            self.sig_busy_changed.emit(key, False)

    def cancel_all(self) -> None:
        for key in list(self._tasks):
            self.cancel(key)

    # ---- private ---------------------------------------------------------------------------

    def _finished(self, key: str, task: asyncio.Future[T],
                  on_success: Callable[[T], object] | None,
                  on_failure: Callable[[BaseException], object] | None) -> None:
        alive = shiboken6.isValid(self) and shiboken6.isValid(self._owner)
        latest = alive and self._tasks.get(key) is task
        if task.cancelled():
            if latest:  # cancelled from inside (the loop closing): the key is idle now
                del self._tasks[key]
                self.sig_busy_changed.emit(key, False)
            return
        error = task.exception()  # read even when dropped, or asyncio logs "never retrieved"
        if not latest:  # superseded, or its widget is gone: nobody is waiting for it
            if error is not None:
                log.debug("dropped background work %r failed", key, exc_info=error)
            return
        del self._tasks[key]
        self.sig_busy_changed.emit(key, False)
        try:
            if error is None:
                if on_success is not None:
                    on_success(task.result())
            elif on_failure is not None:
                on_failure(error)
            else:
                log.error("background work %r failed", key, exc_info=error)
        except Exception:  # a callback's error would vanish inside asyncio's callback runner
            log.exception("handling the result of %r failed", key)


def _cancel_every(tasks: dict[str, asyncio.Future[Any]]) -> None:
    for task in tasks.values():
        task.cancel()
    tasks.clear()
