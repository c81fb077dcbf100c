"""``ask --image``: the bytes decide what is sent, never the name; a device, a pipe or a
non-image is refused in one line (exit 2) before anything is stored or sent."""

from __future__ import annotations

import os
import resource
import struct
import subprocess
import sys
import zlib
from dataclasses import replace
from pathlib import Path

from app.core.model_catalog import ModelEntry
from app.core.providers.config import ProviderConfig
from app.core.settings import ProviderSettings, Settings
from app.core.store import Store, default_db_path
from tests.support.remote_dialects import openai_chunk
from tests.support.sse_server import RecordedRequest, Reply, SSEServer, sse, sse_reply

MEMORY_CAP = 3 << 30  # a read of /dev/zero that ignored the limit would hit this, not the box


def cli(home: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    def cap_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))

    return subprocess.run([sys.executable, "-m", "app", *args], capture_output=True, text=True,
                          timeout=timeout, check=False, preexec_fn=cap_memory,
                          env={**os.environ, "SWITCHBOARD_HOME": str(home)})


def png(width: int = 2, height: int = 2) -> bytes:
    """A real PNG (grey pixels), written by hand: no imaging library needed."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    rows = b"".join(b"\0" + b"\x80" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def answer(request: RecordedRequest) -> Reply:
    return sse_reply(openai_chunk("A cat."), sse(None, "[DONE]"))


def use_vision_cloud(url: str) -> None:
    provider = ProviderSettings(ProviderConfig("cloud", "openai", url + "/v1", key_required=False), ("m",))
    replace(Settings.load(), providers=(provider,),
            model_overrides={"cloud:m": ModelEntry(context=8192, vision=True)}).save()


def refused(result: subprocess.CompletedProcess[str], line: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.strip() == line


def conversations() -> int:
    if not default_db_path().exists():
        return 0
    store = Store(default_db_path())
    try:
        return len(store.conversations())
    finally:
        store.close()


def test_a_text_file_named_png_is_refused_before_anything_is_sent(switchboard_home: Path, tmp_path: Path):
    notes = tmp_path / "notes.png"
    notes.write_text("my passwords: hunter2\n")
    with SSEServer(answer) as cloud:
        use_vision_cloud(cloud.url)
        result = cli(switchboard_home, "ask", "--model", "cloud:m", "--image", str(notes), "what is this?")
    refused(result, f"error: --image: {notes} is not an image (it holds text)")
    assert cloud.requests == []
    assert conversations() == 0  # no empty chat left behind


def test_a_real_image_is_sent_with_the_type_its_bytes_say(switchboard_home: Path, tmp_path: Path):
    photo = tmp_path / "cat.jpg"  # a PNG with the wrong extension
    photo.write_bytes(png())
    with SSEServer(answer) as cloud:
        use_vision_cloud(cloud.url)
        result = cli(switchboard_home, "ask", "--model", "cloud:m", "--image", str(photo), "what is this?")
    assert result.returncode == 0, result.stderr
    [request] = cloud.requests
    parts = request.json["messages"][-1]["content"]
    urls = [p["image_url"]["url"] for p in parts if p["type"] == "image_url"]
    assert len(urls) == 1 and urls[0].startswith("data:image/png;base64,")


def test_dev_zero_is_refused_at_once_not_read_until_memory_runs_out(switchboard_home: Path, tmp_path: Path):
    endless = tmp_path / "zero.png"  # a name that passes any check of the extension
    endless.symlink_to("/dev/zero")
    for path in (endless, Path("/dev/zero")):
        result = cli(switchboard_home, "ask", "--offline", "--image", str(path), "hi")
        refused(result, f"error: --image: {path} is a device, not a file")
    assert conversations() == 0


def test_a_named_pipe_is_refused_instead_of_waiting_for_a_writer(switchboard_home: Path, tmp_path: Path):
    fifo = tmp_path / "camera.png"
    os.mkfifo(fifo)
    result = cli(switchboard_home, "ask", "--offline", "--image", str(fifo), "hi", timeout=60)
    refused(result, f"error: --image: {fifo} is a named pipe, not a file")


def test_the_help_names_the_formats_and_the_limit(switchboard_home: Path):
    result = cli(switchboard_home, "ask", "--help")
    assert "PNG, JPEG, GIF or WebP, at most 20.0 MB" in " ".join(result.stdout.split())
