"""The local models a person has: the bundled one plus those in the models folder.

A model's name is its file name up to the first dot, so
``SmolLM2-135M-Instruct.Q4_1.gguf`` answers to ``local:SmolLM2-135M-Instruct``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from app.core.paths import bundled_models_dir, models_dir


@dataclass(frozen=True, slots=True)
class LocalModel:
    name: str
    path: Path
    bundled: bool


def model_name(path: Path) -> str:
    return path.name.split(".", 1)[0]


def installed_models() -> list[LocalModel]:
    """User models first, so a user's copy of a name wins over the bundled one."""
    found: dict[str, LocalModel] = {}
    for folder, bundled in ((models_dir(), False), (bundled_models_dir(), True)):
        if folder.is_dir():
            # is_file: a FIFO or a folder named *.gguf is not a model (llama.cpp would
            # block opening a FIFO forever).
            for path in sorted(p for p in folder.glob("*.gguf") if p.is_file()):
                found.setdefault(model_name(path), LocalModel(model_name(path), path, bundled))
    return list(found.values())
