"""``bench.py api``: the local API server against ``python -m llama_cpp.server``, as an
OpenAI client sees them.

Both serve the bundled model with the same file, context (2,048), batch (512) and
threads, each in its own process; the client is the official ``openai`` SDK, streaming,
temperature 0, the same prompts and token budget, rounds alternating between the two
(so a drift in this VM's speed hits both). Ours answers through a router
("switchboard/Local only"): routing, the privacy gate, the context policy, the store and
usage included. TTFT: from the request to the first content chunk; tok/s: content chunks
after the first over the time from the first to the last (both send one chunk a token).
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PROMPT = ("Round {round}. List the numbers from one to two hundred in words, one per line, "
          "with no other text.")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_up(base: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    import httpx

    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{base}/models", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"server did not start: {log.read_text()[-2000:]}")


def _one(client: Any, model: str, prompt: str, tokens: int) -> tuple[float, float, int]:
    started, first, last, n = time.perf_counter(), 0.0, 0.0, 0
    # repeat_penalty 1.0: llama_cpp.server's default is 1.1, llama-cpp-python's (and so the
    # app's) 1.0; with it the two generate the same tokens. The app ignores the field.
    stream = client.chat.completions.create(model=model, stream=True, max_tokens=tokens, temperature=0,
                                            messages=[{"role": "user", "content": prompt}],
                                            extra_body={"repeat_penalty": 1.0})
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            last = time.perf_counter()
            first = first or last
            n += 1
    return first - started, last - first, n


def bench_api(rounds: int, tokens: int) -> dict[str, Any]:
    import openai

    from app.core.models.library import installed_models
    from app.core.providers.local_settings import default_threads

    model = next(m for m in installed_models() if m.bundled)
    threads = default_threads()
    home = Path(tempfile.mkdtemp(prefix="bench-api-"))
    (home / "settings.json").write_text(json.dumps({
        "schema": 1, "local": {"n_ctx": 2048, "n_batch": 512, "n_threads": threads},
        "reply_limit_tokens": max(tokens, 2048)}))
    env = {**os.environ, "SWITCHBOARD_HOME": str(home),
           "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"}
    ours_port, theirs_port = _free_port(), _free_port()
    procs: list[subprocess.Popen[bytes]] = []
    try:
        ours_log, theirs_log = home / "ours.log", home / "theirs.log"
        with ours_log.open("wb") as out:
            procs.append(subprocess.Popen([sys.executable, "-m", "app", "serve", "--port", str(ours_port)],
                                          cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT))
        with theirs_log.open("wb") as out:
            procs.append(subprocess.Popen(
                [sys.executable, "-m", "llama_cpp.server", "--model", str(model.path),
                 "--model_alias", model.name, "--host", "127.0.0.1", "--port", str(theirs_port),
                 "--n_ctx", "2048", "--n_batch", "512", "--n_threads", str(threads)],
                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT))
        sides = {"ours": (f"http://127.0.0.1:{ours_port}/v1", "switchboard/Local only", procs[0], ours_log),
                 "llama_cpp_server": (f"http://127.0.0.1:{theirs_port}/v1", model.name, procs[1], theirs_log)}
        clients = {}
        for name, (base, _, proc, log) in sides.items():
            _wait_up(base, proc, log)
            clients[name] = openai.OpenAI(base_url=base, api_key="unused", max_retries=0, timeout=600)
        for name, (_, model_name, _, _) in sides.items():  # load and warm each model once
            _one(clients[name], model_name, PROMPT.format(round=-1), 8)
        runs: dict[str, list[tuple[float, float, int]]] = {name: [] for name in sides}
        for i in range(rounds):
            for name, (_, model_name, _, _) in sides.items():
                runs[name].append(_one(clients[name], model_name, PROMPT.format(round=i), tokens))
        for client in clients.values():
            client.close()
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()

    def rate(sample: tuple[float, float, int]) -> float:
        _, span, n = sample
        return (n - 1) / span if span > 0 else 0.0

    def side(samples: list[tuple[float, float, int]]) -> dict[str, Any]:
        return {"ttft_ms": round(statistics.median(t for t, _, _ in samples) * 1000, 1),
                "tok_s": round(statistics.median(rate(s) for s in samples), 1),
                "chunks_per_run": [n for _, _, n in samples]}

    ours, theirs = runs["ours"], runs["llama_cpp_server"]
    return {
        "bench": "api",
        "model": model.name,
        "n_threads": threads,
        "n_ctx": 2048,
        "rounds": rounds,
        "max_tokens": tokens,
        "client": f"openai {openai.__version__}, streaming",
        "ours": side(ours),
        "llama_cpp_server": side(theirs),
        # Per round, ours over theirs (each round runs both back to back).
        "tok_s_ratio": round(statistics.median(rate(a) / rate(b) for a, b in zip(ours, theirs)), 3),
        "ttft_ratio": round(statistics.median(a[0] / b[0] for a, b in zip(ours, theirs)), 3),
    }
