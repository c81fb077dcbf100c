"""``python -m app egress``: every request that left this computer, and what was in it.

What is listed is what the egress gate logged: when, which target and host, how many
bytes, which messages, and how many private values were replaced by placeholders or
left out. The content itself is never logged, so it is never printed either. The words
come from ``app.controller.egress_words``, shared with the window's "Sent off this
computer" view.
"""

from __future__ import annotations

import argparse
import json

from app.cli.arguments import record_id
from app.cli.errors import UsageError
from app.controller.egress_words import count, line
from app.core.store import EgressRow, Store, default_db_path


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = commands.add_parser("egress", help="list what was sent off this computer")
    p.add_argument("--conversation", type=record_id, metavar="ID", help="only this conversation")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    with Store(default_db_path(), recover_interrupted=False) as store:
        if args.conversation is not None and store.conversation(args.conversation) is None:
            raise UsageError(f"there is no conversation {args.conversation} (see: python -m app history)")
        rows = store.egress_rows(args.conversation)
    if args.json:
        print(json.dumps({"requests": [_json(r) for r in rows],
                          "bytes": sum(r.bytes for r in rows)}))
        return 0
    if not rows:
        print("Nothing was sent off this computer" +
              (" in this conversation." if args.conversation is not None else "."))
        return 0
    for row in rows:
        print(line(row))
    print(f"{count(len(rows), 'request')}, {sum(r.bytes for r in rows):,} bytes")
    return 0


def _json(row: EgressRow) -> dict[str, object]:
    return {"time": row.created_at.isoformat(), "conversation": row.conversation_id, "kind": row.kind,
            "target": row.target, "host": row.host, "bytes": row.bytes,
            "messages": row.message_ids, "redactions": row.redactions, "omitted": row.omitted}
