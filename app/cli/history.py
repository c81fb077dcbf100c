"""``python -m app history`` and ``python -m app usage``: what was said, what it cost."""

from __future__ import annotations

import argparse
import json

from app.cli.arguments import record_id
from app.cli.errors import UsageError
from app.controller.router_folders import RouterFolders
from app.controller.usage import usage_report
from app.core.pricing import Pricing
from app.core.router import Router, RouterFormatError
from app.core.settings import Settings
from app.core.store import MAX_SEARCH_CHARS, Store, default_db_path


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    h = commands.add_parser("history", help="list conversations, or show one")
    h.add_argument("--conversation", type=record_id, metavar="ID")
    h.add_argument("--search", help="find conversations by title or message text")
    h.set_defaults(run=run_history)
    u = commands.add_parser("usage", help="tokens, cost and what routing saved")
    u.add_argument("--conversation", type=record_id, metavar="ID")
    u.add_argument("--json", action="store_true")
    u.set_defaults(run=run_usage)


def run_history(args: argparse.Namespace) -> int:
    if args.search is not None and len(args.search) > MAX_SEARCH_CHARS:
        raise UsageError(f"--search takes at most {MAX_SEARCH_CHARS:,} characters "
                         f"(this one has {len(args.search):,})")
    # Recovering is safe beside a live window (its replies are left alone), and shows a
    # reply that a killed run left unfinished as incomplete rather than still streaming.
    with Store(default_db_path()) as store:
        if args.conversation is None:
            for c in store.conversations(args.search):
                print(f"{c.id:5}  {c.updated_at:%Y-%m-%d %H:%M}  {c.title}")
            return 0
        if store.conversation(args.conversation) is None:
            raise UsageError(f"there is no conversation {args.conversation}")
        for m in store.messages(args.conversation):
            where = f" [{m.target} · {m.rule or 'fallback'}]" if m.role == "assistant" else ""
            mark = "" if m.status == "complete" else f" ({m.status})"
            if m.versions > 1:  # the version chosen in the window; the others are kept too
                mark += f" (version {m.version} of {m.versions})"
            print(f"{m.role}{where}{mark}: {m.content}")
    return 0


def _router_named(name: str | None) -> Router | None:
    if not name:
        return None
    try:
        return RouterFolders().find(name)
    except RouterFormatError:
        return None  # a router deleted since: no counterfactual for its messages


def run_usage(args: argparse.Namespace) -> int:
    settings = Settings.load()
    with Store(default_db_path(), recover_interrupted=False) as store:
        report = usage_report(store, Pricing.load(settings.pricing_overrides), _router_named,
                              args.conversation)
    if args.json:
        print(json.dumps(report.to_dict()))
        return 0
    saved = report.saved_fraction
    print(f"{report.messages} replies · {report.tokens_in:,} tokens in · {report.tokens_out:,} out")
    print(f"Paid ${report.cost:.4f}; sending everything to each router's priciest target: "
          f"${report.cost_if_priciest:.4f}" + (f" (saved {saved:.0%})" if saved is not None else ""))
    print(f"Classifier: {report.classifier_tokens_in + report.classifier_tokens_out:,} tokens, "
          f"${report.classifier_cost:.4f}")
    return 0
