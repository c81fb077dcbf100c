"""The app's event loop: qasync's Qt-driven asyncio loop, plus the async-generator hooks
that asyncio's own loops install in ``run_forever`` and qasync does not.

Without them an async generator left suspended (httpx's line iterator under an SSE stream
that ended at ``[DONE]``) is closed by the garbage collector synchronously, its ``finally``
cannot await, and the HTTP connection is not handed back properly. With them it is closed
as a task on this loop, and ``shutdown_asyncgens()`` can close the rest at exit.
"""

from __future__ import annotations

import sys
from typing import Any

import qasync


class AppEventLoop(qasync.QEventLoop):  # type: ignore[misc]
    _saved_asyncgen_hooks: Any = None

    def _before_run_forever(self) -> None:
        super()._before_run_forever()
        self._saved_asyncgen_hooks = sys.get_asyncgen_hooks()
        sys.set_asyncgen_hooks(firstiter=self._asyncgen_firstiter_hook,
                               finalizer=self._asyncgen_finalizer_hook)

    def _after_run_forever(self) -> None:
        if self._saved_asyncgen_hooks is not None:
            sys.set_asyncgen_hooks(*self._saved_asyncgen_hooks)
            self._saved_asyncgen_hooks = None
        super()._after_run_forever()
