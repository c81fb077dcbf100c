"""``python -m app``: no command opens the desktop app; commands run headless."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from typing import NoReturn

from app import __version__

EXIT_BAD_INPUT = 2  # as app.cli.errors, which is not imported on the way to the window
EXIT_FAILED = 1  # the command was fine, the work failed (see app.controller.error_words)

NO_DISPLAY = (
    "Switchboard's window needs a display, and none was found ($DISPLAY and "
    "$WAYLAND_DISPLAY are not set).\n"
    "Headless, use a command instead, e.g.:\n"
    '  python -m app route --router "Save money" --message "hello" --json\n'
    "or give it a virtual display: xvfb-run -a python -m app"
)


# Which module holds each command: a command imports only its own module, so `route`
# does not pay for the model hub's client or the download queue (half a second cold).
COMMAND_MODULES = {"route": "route", "ask": "ask", "providers": "providers", "keys": "providers",
                   "history": "history", "usage": "history", "export": "export",
                   "egress": "egress", "models": "models", "serve": "serve"}


class _Parser(argparse.ArgumentParser):
    """argparse's parser, whose errors stay one short line: it quotes what it did not
    understand, and that may be a pasted page."""

    def error(self, message: str) -> NoReturn:
        from app.core.safe_read import one_line

        super().error(one_line(message, 300))


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser for ``command`` alone when it is known, else for every command (help)."""
    import importlib

    parser = _Parser(prog="python -m app", description=__doc__)
    parser.add_argument("--version", action="version", version=f"Switchboard {__version__}")
    parser.add_argument("--self-test", action="store_true",
                        help="start the app offscreen, answer one message with the bundled "
                             "model, print a JSON report and exit (0 when all is well)")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    wanted = [COMMAND_MODULES[command]] if command in COMMAND_MODULES \
        else list(dict.fromkeys(COMMAND_MODULES.values()))
    for name in wanted:
        module = importlib.import_module(f"app.cli.{name}")
        add = getattr(module, "add_parser", None) or module.add_parsers
        add(commands)
    return parser


def has_display() -> bool:
    if sys.platform in ("win32", "darwin"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def open_window() -> int:
    if not has_display() and os.environ.get("QT_QPA_PLATFORM") not in ("offscreen", "minimal"):
        print(NO_DISPLAY, file=sys.stderr)
        return EXIT_BAD_INPUT
    from app.ui.app import run  # Qt is imported only when a window is wanted

    return run(sys.argv[:1])


def self_test() -> int:
    from app.ui.self_test import run_self_test

    return run_self_test()


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv:  # the window: start it without loading the headless commands (~1 s)
        return open_window()
    from app.cli.errors import UsageError

    from app.cli.arguments import safe_arguments

    parser = build_parser(argv[0])
    args = safe_arguments(parser.parse_args(argv))
    if args.self_test:
        return self_test()
    if not hasattr(args, "run"):
        return open_window()
    # What the app logs as a warning (settings reset, a cache not written) is one line
    # the user of a command should see; the window has its own ways of saying it.
    logging.basicConfig(level=logging.WARNING, format="warning: %(message)s")
    try:
        return int(args.run(args))
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except Exception as exc:
        # A failure the app words on purpose (a disk full, the keyring refusing, a
        # provider down) is one line in the window's words; anything else is a bug and
        # keeps its traceback.
        from app.controller.error_words import describe, is_bad_file, is_expected

        if not (is_expected(exc) or is_bad_file(exc)):
            raise
        words = describe(exc)
        if words:
            print(f"error: {words}", file=sys.stderr)
        return EXIT_BAD_INPUT if is_bad_file(exc) else EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
