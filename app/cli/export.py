"""``python -m app export``: one conversation as Markdown or JSON, as the window's
File → Export chat writes it (both go through app/controller/export.py)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app.cli.arguments import record_id
from app.cli.errors import UsageError
from app.controller.conversations import Conversations
from app.controller.export import FORMATS, ExportError, export_conversation, write_export
from app.core.store import Store, default_db_path


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = commands.add_parser("export", help="write one conversation as Markdown or JSON")
    p.add_argument("--conversation", type=record_id, metavar="ID", required=True,
                   help="its id, as `history` lists it")
    p.add_argument("--format", choices=FORMATS, default="md", help="md (default) or json")
    p.add_argument("--output", type=Path, metavar="FILE", help="write here instead of stdout")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    with Store(default_db_path(), recover_interrupted=False) as store:
        try:
            text = export_conversation(Conversations(store), args.conversation, args.format)
        except ExportError as exc:
            raise UsageError(str(exc)) from None
    if args.output is None:
        sys.stdout.write(text)
        return 0
    try:
        write_export(args.output, text)
    except OSError as exc:
        raise UsageError(f"cannot write {args.output}: {exc.strerror or exc}") from None
    print(f"Exported conversation {args.conversation} to {args.output}", file=sys.stderr)
    return 0
