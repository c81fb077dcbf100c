"""The window's one way to show a failure (Anki's ``show_exception``): in place, on an
``InlineMessage`` next to what failed, in the words ``app.controller.error_words`` gives.

Silent for a cancellation (the user's Stop is not an error); a failure the app does not
word on purpose is a bug, so its traceback goes to the log while the user reads a short
sentence. Use it as a ``TaskRunner`` failure callback::

    runner.run("save", setup.save(provider), on_success=..., on_failure=show_error_in(self.status))
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from app.controller.error_words import describe, is_expected
from app.ui.inline_message import InlineMessage

log = logging.getLogger(__name__)

__all__ = ["error_text", "show_error", "show_error_in"]


def error_text(exc: BaseException, context: str = "") -> str | None:
    """The words for ``exc`` (``context`` first: "The settings were not saved."), None
    for a cancellation; logs the traceback of an unexpected failure."""
    words = describe(exc)
    if words is None:
        return None
    if is_expected(exc):
        log.info("%s%s", f"{context} " if context else "", words)
    else:
        log.error("unexpected failure%s", f" ({context})" if context else "", exc_info=exc)
    return f"{context} {words}" if context else words


def show_error(target: InlineMessage, exc: BaseException, context: str = "") -> None:
    """Show ``exc`` on ``target`` in the error tone; a cancellation clears it instead
    (it may still say "Testing…")."""
    text = error_text(exc, context)
    target.set_message(text or "", "error" if text else None)


def show_error_in(target: InlineMessage, context: str = "") -> Callable[[BaseException], None]:
    """``show_error`` bound to ``target``: a ready ``on_failure`` for ``TaskRunner.run``."""
    return lambda exc: show_error(target, exc, context)
