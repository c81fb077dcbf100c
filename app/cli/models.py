"""``python -m app models …``: the model manager, headless.

list                 installed models with their GGUF metadata
search QUERY         GGUF repositories on the hub (HF_ENDPOINT is honoured)
files REPO           a repository's .gguf files with quantization, size and sha256
download REPO FILE   resumable, verified download with a progress bar on stderr
import PATH          copy a GGUF file from disk into the models folder (validated)
remove NAME          delete a downloaded or imported model
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from app.cli.errors import UsageError
from app.controller.model_downloads import DownloadJob, Downloads
from app.controller.model_library import LibraryError, import_model, library_entries, remove_model
from app.core.byte_size import format_bytes
from app.core.models.hub import Hub, HubError, RemoteFile

EXIT_DOWNLOAD_FAILED = 1
BAR_WIDTH = 30


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = commands.add_parser("models", help="list, find, download, import and remove local models",
                            description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser("list", help="installed models")
    actions.add_parser("search", help="search the hub").add_argument("query")
    actions.add_parser("files", help="a repository's GGUF files").add_argument("repo")
    d = actions.add_parser("download", help="download a GGUF file")
    d.add_argument("repo")
    d.add_argument("file")
    actions.add_parser("import", help="import a GGUF file").add_argument("path", type=Path)
    actions.add_parser("remove", help="remove a model").add_argument("name")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        if args.action == "list":
            return _list()
        if args.action == "import":
            entry = import_model(args.path)
            print(f"Imported {entry.name} ({format_bytes(entry.size)}) into {entry.path.parent}")
            return 0
        if args.action == "remove":
            print(f"Removed {remove_model(args.name)}")
            return 0
        return asyncio.run(_online(args))
    except (LibraryError, HubError) as error:
        raise UsageError(str(error)) from None


def _list() -> int:
    from app.core.settings import Settings

    # The context chats load each model with (the settings', lowered to the model's own),
    # with the model's maximum after it: the window's Library shows the same two.
    for e in library_entries(Settings.load().local.n_ctx):
        where = "bundled" if e.bundled else str(e.path.parent)
        if e.info is None:
            print(f"{e.name:32} unusable: {e.problem}")
            continue
        quant = e.info.quantization or "?"
        ctx = f"{e.chat_context}/{e.info.context_length or '?'}"
        template = "chat template" if e.info.chat_template else "no chat template"
        print(f"{e.name:32} {e.info.architecture:10} {quant:8} ctx {ctx:>11}  "
              f"{format_bytes(e.size):>9}  {template}  [{where}]")
    return 0


async def _online(args: argparse.Namespace) -> int:
    hub = Hub()
    if args.action == "search":
        for repo in await hub.search(args.query):
            print(f"{repo.id:60} {repo.downloads:>10,} downloads  {repo.likes:>6,} likes")
        return 0
    files = await hub.files(args.repo)
    if args.action == "files":
        for f in files:
            size = format_bytes(f.size) if f.size is not None else "?"
            print(f"{f.name:60} {f.quant or '?':8} {size:>9}  sha256 {f.sha256 or '?'}")
        return 0
    wanted = next((f for f in files if f.name == args.file), None)
    if wanted is None:
        raise UsageError(f'{args.repo} has no file "{args.file}" (see: python -m app models files {args.repo})')
    return await _download(hub, wanted)


async def _download(hub: Hub, file: RemoteFile) -> int:
    downloads = Downloads(hub, on_change=_draw)
    job = downloads.add(file)
    try:
        await downloads.wait_idle()
    except KeyboardInterrupt:  # Ctrl+C: stop, keep the bytes for a later resume
        await downloads.aclose()
        raise
    print(file=sys.stderr)
    if job.state != "done":
        print(f"error: {job.error or job.state}", file=sys.stderr)
        return EXIT_DOWNLOAD_FAILED
    print(f"Downloaded {job.dest}")
    return 0


def _draw(job: DownloadJob) -> None:
    progress = job.progress
    if progress is None or job.state != "downloading":
        return
    total = progress.total or 0
    fraction = progress.done / total if total else 0.0
    filled = int(BAR_WIDTH * fraction)
    eta = f"{progress.eta_s:5.0f} s" if progress.eta_s is not None else "    ?"
    print(f"\r[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {fraction:6.1%}  "
          f"{format_bytes(progress.done):>9} of {format_bytes(total):>9}  "
          f"{format_bytes(progress.bytes_per_s):>9}/s  ETA {eta}",
          end="", file=sys.stderr, flush=True)


