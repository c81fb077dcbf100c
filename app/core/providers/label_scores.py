"""What scoring answer words gives: each word's log-probability and the tokens it took.

Plain data, apart from ``local_llama.py`` (which imports llama.cpp), so the classifier
can take any model that scores words without depending on the llama.cpp provider.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class LabelScores:
    logprobs: dict[str, float]
    prompt_tokens: int
    evaluated: int  # prompt tokens not found in the KV cache
    completion_tokens: int = 1
