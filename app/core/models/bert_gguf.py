"""Convert a BERT-family sentence encoder (Hugging Face layout) into a GGUF llama.cpp runs.

llama.cpp's own converter (``convert_hf_to_gguf.py``) imports torch, which the app
neither needs nor ships. BERT is simple enough to write directly with numpy and the
``gguf`` package: this reads ``config.json``, ``tokenizer.json``, ``model.safetensors``
(parsed here; the format is a JSON header and raw little-endian arrays) and the
sentence-transformers pooling config, and writes what llama.cpp's BERT loader reads:

- arch ``bert``, non-causal attention, the pooling the model was trained with (mean);
- tokenizer model ``bert`` (llama.cpp's WordPiece), with the vocabulary in llama.cpp's
  "phantom space" form: a word-start piece ``x`` becomes ``▁x``, a continuation
  ``##x`` becomes ``x``, and bracketed specials (``[CLS]``) stay as they are;
- ``[CLS]`` as BOS and ``[SEP]`` as EOS/SEP, both added, so a text is framed as the
  model saw it in training;
- 2-D weights as f16 (half the size, no measurable change in similarity), norms,
  biases, position and token-type embeddings as f32 as llama.cpp's converter keeps them.

The output depends only on the input files, so it can be checked against a pinned sha256.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gguf
import numpy as np

PHANTOM_SPACE = "\u2581"
_SAFETENSORS_DTYPES = {"F32": np.float32, "F16": np.float16, "F64": np.float64, "I64": np.int64,
                       "I32": np.int32}
_DROPPED = ("embeddings.position_ids", "pooler.")  # not part of llama.cpp's BERT graph
_KEPT_F32 = (gguf.MODEL_TENSOR.POS_EMBD, gguf.MODEL_TENSOR.TOKEN_TYPES)
_POOLING = {"pooling_mode_mean_tokens": gguf.PoolingType.MEAN,
            "pooling_mode_cls_token": gguf.PoolingType.CLS}


class ConversionError(ValueError):
    """The folder is not a BERT encoder this converter understands."""


@dataclass(frozen=True, slots=True)
class BertVocab:
    tokens: list[str]  # in phantom-space form, by id
    types: list[gguf.TokenType]
    cls: int
    sep: int
    unk: int
    pad: int
    mask: int | None


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """Every tensor in a .safetensors file, as read-only arrays over a memory map."""
    with path.open("rb") as f:
        header_len = int.from_bytes(f.read(8), "little")
        header = json.loads(f.read(header_len))
    data = np.memmap(path, dtype=np.uint8, mode="r", offset=8 + header_len)
    tensors = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        dtype = _SAFETENSORS_DTYPES.get(meta["dtype"])
        if dtype is None:
            raise ConversionError(f"{path.name}: tensor {name} has unsupported dtype {meta['dtype']}")
        start, end = meta["data_offsets"]
        tensors[name] = data[start:end].view(np.dtype(dtype).newbyteorder("<")).reshape(meta["shape"])
    return tensors


def phantom_space(token: str) -> str:
    """A WordPiece token as llama.cpp's WPM tokenizer stores it."""
    if token.startswith("[") and token.endswith("]"):
        return token
    if token.startswith("##"):
        return token[2:]
    return PHANTOM_SPACE + token


def read_vocab(tokenizer_json: Path) -> BertVocab:
    spec = json.loads(tokenizer_json.read_text(encoding="utf-8"))
    model = spec.get("model", {})
    if model.get("type") != "WordPiece":
        raise ConversionError(f"{tokenizer_json.name}: expected a WordPiece tokenizer, got {model.get('type')!r}")
    vocab: dict[str, int] = model["vocab"]
    by_id = sorted(vocab.items(), key=lambda kv: kv[1])
    if [i for _, i in by_id] != list(range(len(by_id))):
        raise ConversionError(f"{tokenizer_json.name}: token ids are not 0..n-1")
    special = {t["content"] for t in spec.get("added_tokens", []) if t.get("special")}
    tokens = [phantom_space(token) for token, _ in by_id]
    types = [gguf.TokenType.CONTROL if token in special else gguf.TokenType.NORMAL for token, _ in by_id]

    def need(token: str) -> int:
        if token not in vocab:
            raise ConversionError(f"{tokenizer_json.name}: no {token} token")
        return vocab[token]

    return BertVocab(tokens, types, cls=need("[CLS]"), sep=need("[SEP]"), unk=need("[UNK]"),
                     pad=need("[PAD]"), mask=vocab.get("[MASK]"))


def pooling_of(folder: Path) -> gguf.PoolingType:
    """The sentence-transformers pooling (1_Pooling/config.json); mean when there is none."""
    config = folder / "1_Pooling" / "config.json"
    if not config.is_file():
        return gguf.PoolingType.MEAN
    modes = json.loads(config.read_text())
    chosen = [pooling for key, pooling in _POOLING.items() if modes.get(key)]
    if len(chosen) != 1:
        raise ConversionError(f"{config}: unsupported pooling {modes}")
    return chosen[0]


def convert(folder: Path, out: Path, name: str) -> None:
    """Write ``out`` (GGUF) from the BERT encoder in ``folder``."""
    config: dict[str, Any] = json.loads((folder / "config.json").read_text())
    if config.get("model_type") != "bert":
        raise ConversionError(f"{folder / 'config.json'}: model_type is {config.get('model_type')!r}, not bert")
    vocab = read_vocab(folder / "tokenizer.json")
    if len(vocab.tokens) != config["vocab_size"]:
        raise ConversionError(f"tokenizer has {len(vocab.tokens)} tokens, config says {config['vocab_size']}")
    layers = int(config["num_hidden_layers"])
    writer = gguf.GGUFWriter(out, gguf.MODEL_ARCH_NAMES[gguf.MODEL_ARCH.BERT])
    _write_hparams(writer, config, name, pooling_of(folder))
    _write_vocab(writer, vocab)
    _write_tensors(writer, read_safetensors(folder / "model.safetensors"), layers)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def _write_hparams(writer: gguf.GGUFWriter, config: dict[str, Any], name: str,
                   pooling: gguf.PoolingType) -> None:
    writer.add_name(name)
    writer.add_context_length(int(config["max_position_embeddings"]))
    writer.add_embedding_length(int(config["hidden_size"]))
    writer.add_feed_forward_length(int(config["intermediate_size"]))
    writer.add_block_count(int(config["num_hidden_layers"]))
    writer.add_head_count(int(config["num_attention_heads"]))
    writer.add_layer_norm_eps(float(config.get("layer_norm_eps", 1e-12)))
    writer.add_causal_attention(False)
    writer.add_pooling_type(pooling)
    writer.add_file_type(gguf.LlamaFileType.MOSTLY_F16)


def _write_vocab(writer: gguf.GGUFWriter, vocab: BertVocab) -> None:
    writer.add_token_type_count(2)  # "sentence A/B" embeddings; llama.cpp feeds type 0
    writer.add_tokenizer_model("bert")
    writer.add_tokenizer_pre("default")
    writer.add_token_list(vocab.tokens)
    writer.add_token_types(vocab.types)
    writer.add_bos_token_id(vocab.cls)
    writer.add_eos_token_id(vocab.sep)
    writer.add_sep_token_id(vocab.sep)
    writer.add_unk_token_id(vocab.unk)
    writer.add_pad_token_id(vocab.pad)
    if vocab.mask is not None:
        writer.add_mask_token_id(vocab.mask)
    writer.add_add_bos_token(True)
    writer.add_add_eos_token(True)


def _write_tensors(writer: gguf.GGUFWriter, tensors: dict[str, np.ndarray], layers: int) -> None:
    names = gguf.get_tensor_name_map(gguf.MODEL_ARCH.BERT, layers)
    kept_f32 = {gguf.TENSOR_NAMES[t] for t in _KEPT_F32}
    for source, array in tensors.items():
        plain = source.removeprefix("bert.")
        if plain.startswith(_DROPPED):
            continue
        target = names.get_name(plain, try_suffixes=(".weight", ".bias"))
        if target is None:
            raise ConversionError(f"model.safetensors: no llama.cpp name for tensor {source}")
        as_f16 = array.ndim == 2 and target.removesuffix(".weight") not in kept_f32
        writer.add_tensor(target, np.ascontiguousarray(array, dtype=np.float16 if as_f16 else np.float32))
