import shutil

import pytest
import tiktoken

from app.core.paths import resources_dir
from app.core.tokens import TokenCounter, TokenizerDataError, default_counter, load_cl100k


def test_counts_match_cl100k():
    counter = default_counter()
    assert counter.count("hello world") == 2
    assert counter.count("") == 0
    # Well-known cl100k_base ids: the vocabulary really is cl100k, not just a same-sized file.
    assert load_cl100k().encode_ordinary("hello world") == [15339, 1917]


def test_special_token_text_is_counted_as_text():
    assert default_counter().count("<|endoftext|>") > 1


def test_each_text_is_encoded_once():
    counter = TokenCounter(load_cl100k())
    conversation = [f"message number {i} " * 20 for i in range(50)]
    first = counter.count_all(conversation)
    second = counter.count_all(conversation)
    info = counter.count.cache_info()
    assert first == second
    assert (info.misses, info.hits) == (50, 50)


def test_sum_equals_counting_each(tmp_path):
    counter = default_counter()
    texts = ["a b c", "déjà vu 🚀", "def f(x):\n    return x"]
    assert counter.count_all(texts) == sum(counter.count_uncached(t) for t in texts)


def test_loads_without_network(monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("tried to download a vocabulary")

    monkeypatch.setattr(tiktoken.load, "read_file", no_network)
    assert load_cl100k().encode_ordinary("offline") != []


def test_damaged_vocabulary_is_refused(tmp_path):
    damaged = tmp_path / "cl100k_base.tiktoken"
    shutil.copy(resources_dir() / "tokenizers" / "cl100k_base.tiktoken", damaged)
    with damaged.open("ab") as f:
        f.write(b"extra")
    with pytest.raises(TokenizerDataError, match="Tokenizer data is damaged"):
        load_cl100k(damaged)


def test_missing_vocabulary_is_explained(tmp_path):
    with pytest.raises(TokenizerDataError, match="Tokenizer data is missing"):
        load_cl100k(tmp_path / "nope.tiktoken")
