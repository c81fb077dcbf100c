"""``python -m app``: no command opens the desktop app; commands run headless."""

from __future__ import annotations

import argparse
import os
import sys

from app import __version__
from app.cli import ask, history, providers, route
from app.cli.errors import EXIT_BAD_INPUT, UsageError

NO_DISPLAY = (
    "Switchboard's window needs a display, and none was found ($DISPLAY and "
    "$WAYLAND_DISPLAY are not set).\n"
    "Headless, use a command instead, e.g.:\n"
    '  python -m app route --router "Save money" --message "hello" --json\n'
    "or give it a virtual display: xvfb-run -a python -m app"
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m app", description=__doc__)
    parser.add_argument("--version", action="version", version=f"Switchboard {__version__}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    route.add_parser(commands)
    ask.add_parser(commands)
    providers.add_parsers(commands)
    history.add_parsers(commands)
    return parser


def has_display() -> bool:
    if sys.platform in ("win32", "darwin"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def open_window(parser: argparse.ArgumentParser) -> int:
    if not has_display():
        print(NO_DISPLAY, file=sys.stderr)
        return EXIT_BAD_INPUT
    # The window arrives with the main-window issue; until then the CLI is the app.
    print("The desktop window is not built yet; the headless commands are:\n", file=sys.stderr)
    parser.print_help(sys.stderr)
    return EXIT_BAD_INPUT


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        return open_window(parser)
    try:
        return int(args.run(args))
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
