"""Token counting that works offline and never re-encodes a message twice.

tiktoken downloads its vocabularies at run time, which fails offline and on a first
launch without network, so cl100k_base ships in ``resources/tokenizers`` and is loaded
from there, checked against the sha256 tiktoken itself expects.

Counts are cached per message text: a conversation's count is a sum of cached counts,
so routing a 50-turn conversation costs 50 dictionary look-ups, not 50 encodes.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from pathlib import Path

import tiktoken
from tiktoken.load import load_tiktoken_bpe

from app.core.paths import resources_dir

CL100K_FILE = "tokenizers/cl100k_base.tiktoken"
CL100K_SHA256 = "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7"
# The split pattern and special tokens of tiktoken's cl100k_base (tiktoken_ext.openai_public).
CL100K_PATTERN = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+"""
    r"""|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
)
CL100K_SPECIAL_TOKENS = {
    "<|endoftext|>": 100257,
    "<|fim_prefix|>": 100258,
    "<|fim_middle|>": 100259,
    "<|fim_suffix|>": 100260,
    "<|endofprompt|>": 100276,
}


class TokenizerDataError(RuntimeError):
    """The shipped vocabulary file is missing or does not match its checksum."""


def load_cl100k(path: Path | None = None) -> tiktoken.Encoding:
    path = path or resources_dir() / CL100K_FILE
    if not path.is_file():
        raise TokenizerDataError(f"Tokenizer data is missing: {path}. Reinstall Switchboard.")
    try:
        ranks = load_tiktoken_bpe(str(path), expected_hash=CL100K_SHA256)
    except ValueError as exc:  # tiktoken raises ValueError on a hash mismatch
        raise TokenizerDataError(f"Tokenizer data is damaged: {path} ({exc}).") from exc
    return tiktoken.Encoding(
        name="cl100k_base",
        pat_str=CL100K_PATTERN,
        mergeable_ranks=ranks,
        special_tokens=CL100K_SPECIAL_TOKENS,
    )


class TokenCounter:
    """Counts tokens of texts; each distinct text is encoded once (LRU-bounded)."""

    # 65,536: a long chat is counted at each turn, in order, and an LRU smaller than the
    # chat evicts every text before it is asked for again (8,192 recounted a 10,000-message
    # chat in full at every turn).
    def __init__(self, encoding: tiktoken.Encoding, cache_size: int = 65_536) -> None:
        self._encoding = encoding
        self.count = functools.lru_cache(maxsize=cache_size)(self.count_uncached)

    def count_uncached(self, text: str) -> int:
        # encode_ordinary: a user may type "<|endoftext|>"; it is text, not a control token.
        return len(self._encoding.encode_ordinary(text))

    def count_all(self, texts: Iterable[str]) -> int:
        return sum(map(self.count, texts))


@functools.cache
def default_counter() -> TokenCounter:
    """The process-wide counter, loaded on first use (about 0.3 s) and then shared."""
    return TokenCounter(load_cl100k())

