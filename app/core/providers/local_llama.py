"""In-process llama.cpp: GGUF models on this computer's CPU (or GPU, in a GPU build).

``llama_cpp.Llama`` is not thread-safe, so one dedicated worker thread owns every call
on it (load, generate, tokenize, close); the event loop only ever awaits that thread.
Tokens cross back through ``ThreadEvents``, merged while the loop is busy. Stop is a flag checked after
every token, and also llama.cpp's abort callback, which interrupts a long prompt
evaluation that no per-token check would reach. A long prompt is read in n_batch
chunks before generation starts, so the stream can say how far the reading has got.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ctypes.util
import json
import logging
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import llama_cpp
import numpy as np
from llama_cpp.llama_chat_format import Jinja2ChatFormatter
from llama_cpp.llama_grammar import LlamaGrammar

from app.core.models.embedding_model import BUNDLED_EMBEDDER_NAME, bundled_embedder_path
from app.core.models.fit import TooBigForMemory, plan_context
from app.core.models.gguf_file import GGUFInfo, InvalidModelFile, read_gguf
from app.core.models.library import LocalModel, installed_models
from app.core.providers.base import (
    CancelToken,
    ChatMessage,
    ChatRequest,
    Finish,
    FinishReason,
    Health,
    PromptProgress,
    StreamEvent,
    TextDelta,
    Usage,
)
from app.core.providers.errors import (
    BadRequestError,
    ContextTooLongError,
    GenerationCancelled,
    ModelMissingError,
    ProviderError,
    UnavailableError,
)
from app.core.providers.label_scores import LabelScores
from app.core.providers.local_settings import LOCAL, LocalModelSettings, default_threads
from app.core.providers.thread_events import ThreadEvents

log = logging.getLogger(__name__)
R = TypeVar("R")
_DONE = object()  # end of the worker's event stream
EMBED_MAX_TOKENS = 256
EMBED_BATCH = 512  # tokens per llama.cpp decode when embedding; also its context size


@dataclass(frozen=True, slots=True)
class LoadedModel:
    name: str
    path: Path
    settings: LocalModelSettings
    info: GGUFInfo
    load_seconds: float
    warnings: tuple[str, ...] = ()


def native_abort_callback() -> Any:
    """llama.cpp's abort callback, without Python in it.

    llama.cpp asks the callback between graph nodes, from its compute threads. A Python
    callback there must take the GIL from a foreign thread each time, which made
    generation 20x slower here (3 tok/s instead of 70). C's ``strlen`` does the job
    natively: its argument is a 2-byte buffer [flag, NUL], so it returns 0 until Stop
    writes 1 into the flag, and llama.cpp reads that non-zero result as "abort".
    """
    if sys.platform == "win32":
        strlen = ctypes.cdll.msvcrt.strlen
    else:
        strlen = ctypes.CDLL(ctypes.util.find_library("c") or None).strlen
    address = ctypes.cast(strlen, ctypes.c_void_p).value
    assert address is not None
    return llama_cpp.ggml_abort_callback(address)


NATIVE_ABORT = native_abort_callback()


def gpu_offload_supported() -> bool:
    return bool(llama_cpp.llama_supports_gpu_offload())


@dataclass(frozen=True, slots=True)
class LlamaBuild:
    """What this llama.cpp build can use: shown in About, so a bug report says it."""

    version: str
    cpu_features: tuple[str, ...]  # "AVX2", "FMA", …: what the CPU backend was built to use
    gpu_offload: bool


def llama_build() -> LlamaBuild:
    return LlamaBuild(llama_cpp.__version__, cpu_features(llama_cpp.llama_print_system_info().decode(
        "utf-8", "replace")), gpu_offload_supported())


def cpu_features(system_info: str) -> tuple[str, ...]:
    """The CPU backend's features from llama.cpp's system info, which lists each backend
    as "NAME : KEY = value | …" ("CUDA : ARCHS = 900 | USE_GRAPHS = 1 | CPU : SSE3 = 1 | …")."""
    backend, features = "", []
    for part in system_info.replace("\n", "|").split("|"):
        if ":" in part:
            backend, _, part = part.partition(":")
            backend = backend.strip()
        name, sep, value = part.partition("=")
        if backend == "CPU" and sep and value.strip() == "1" and name.strip():
            features.append(name.strip())
    return tuple(dict.fromkeys(features))


class LocalLlamaProvider:
    id = LOCAL

    def __init__(
        self,
        models: Callable[[], Sequence[LocalModel]] = installed_models,
        settings_for: Callable[[str], LocalModelSettings] = lambda name: LocalModelSettings(),
    ) -> None:
        self._models = models
        self._settings_for = settings_for
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="llama")
        # Everything below is touched only on the worker thread.
        self._llama: llama_cpp.Llama | None = None
        self._loaded: LoadedModel | None = None
        self._abort_flag = ctypes.create_string_buffer(2)  # [flag, NUL]; see native_abort_callback
        self._formatter: Jinja2ChatFormatter | None = None  # compiling the template takes ~5 ms
        self._overheads: tuple[int, int] | None = None  # the loaded template's; see _overheads_sync
        # A second llama.cpp context in embedding mode, so embedding a message never
        # unloads the chat model (nor its prompt prefix cache).
        self._embedder: tuple[str, llama_cpp.Llama] | None = None

    def __repr__(self) -> str:
        return f"LocalLlamaProvider(loaded={self.loaded_name!r})"

    @property
    def loaded(self) -> LoadedModel | None:
        return self._loaded

    @property
    def loaded_name(self) -> str | None:
        return self._loaded.name if self._loaded else None

    async def _on_worker(self, fn: Callable[..., R], *args: Any) -> R:
        return await asyncio.wrap_future(self._worker.submit(fn, *args))

    # ---- models --------------------------------------------------------------------

    def model_path(self, name: str) -> Path:
        """The GGUF file of an installed model, or of the bundled embedding model (which
        is not offered for chat); ModelMissingError when there is none."""
        return self._embedder_path_of(name)

    def _embedder_path_of(self, name: str) -> Path:
        try:
            return self._path_of(name)  # an installed model of that name wins, as in the library
        except ModelMissingError:
            if name != BUNDLED_EMBEDDER_NAME:
                raise
        bundled = bundled_embedder_path()
        if not bundled.is_file():
            raise ModelMissingError(f"The bundled embedding model is missing ({bundled}); "
                                    "scripts/setup puts it there.", provider=LOCAL)
        return bundled

    def _path_of(self, name: str) -> Path:
        for model in self._models():
            if model.name == name:
                return model.path
        raise ModelMissingError(f'The local model "{name}" is not installed. '
                                "Download it in Models, or pick another.", provider=LOCAL)

    async def load(self, name: str, settings: LocalModelSettings | None = None) -> LoadedModel:
        """Load (or switch to) a model; a model already loaded with these settings is kept."""
        return await self._on_worker(self._load_sync, name, settings or self._settings_for(name))

    async def unload(self) -> None:
        await self._on_worker(self._unload_sync)

    def _load_sync(self, name: str, settings: LocalModelSettings) -> LoadedModel:
        if self._loaded and self._loaded.name == name and self._loaded.settings == settings:
            return self._loaded
        path = self._path_of(name)
        try:
            info = read_gguf(path)  # refuse a broken file before llama.cpp can crash on it
        except InvalidModelFile as exc:
            raise ModelMissingError(f"Cannot load {name}: {exc}.", provider=LOCAL) from None
        self._unload_sync()  # free the old model's memory before the new one takes its own
        warnings = []
        # Before llama.cpp allocates anything: a context beyond the model's is lowered to it,
        # one beyond this machine's memory refused. Layers offloaded to a GPU live in its
        # memory, which the estimate does not know: only the lowering applies then.
        on_cpu = settings.n_gpu_layers == 0 or not gpu_offload_supported()
        try:
            plan = plan_context(name, info, info.size, settings.n_ctx, available=None if on_cpu else 0)
        except TooBigForMemory as exc:
            raise ModelMissingError(str(exc), provider=LOCAL) from None
        if plan.note:
            warnings.append(plan.note)
            log.warning(plan.note)
        chat_format = None  # llama-cpp-python then uses the GGUF's own tokenizer.chat_template
        if info.chat_template is None:
            chat_format = "chatml"
            warnings.append(f"{name} has no chat template; using ChatML, replies may be odd.")
            log.warning(warnings[-1])
        started = time.perf_counter()
        try:
            llama = llama_cpp.Llama(
                model_path=str(path), n_ctx=plan.n_ctx, n_batch=settings.n_batch,
                n_threads=settings.n_threads or default_threads(),
                n_gpu_layers=settings.n_gpu_layers, chat_format=chat_format, verbose=False,
            )
        except (ValueError, RuntimeError, OSError) as exc:
            raise ModelMissingError(f"llama.cpp could not load {name} ({exc}).", provider=LOCAL) from None
        llama_cpp.llama_set_abort_callback(llama.ctx, NATIVE_ABORT, ctypes.cast(self._abort_flag, ctypes.c_void_p))
        self._llama = llama
        self._formatter = compile_chat_template(llama)
        # One formatter builds every prompt, so the tokens _read_prompt evaluates are the
        # ones create_chat_completion asks for (llama-cpp-python's own "chatml" adds an
        # empty system block ours has not, and the read-ahead would then be wasted).
        llama.chat_handler = self._formatter.to_chat_handler()
        self._loaded = LoadedModel(name, path, settings, info, time.perf_counter() - started, tuple(warnings))
        return self._loaded

    def _unload_sync(self) -> None:
        if self._llama is not None:
            self._llama.close()
        self._llama, self._loaded, self._formatter, self._overheads = None, None, None, None

    @contextlib.contextmanager
    def _abortable(self, cancel: CancelToken) -> Iterator[None]:
        """Stop raises into llama.cpp through the abort callback; the decode it interrupts
        fails with a RuntimeError, which becomes GenerationCancelled here."""
        self._abort_flag[0] = b"\0"
        cancel.on_cancel(lambda: self._abort_flag.__setitem__(0, b"\1"))
        try:
            yield
        except RuntimeError:
            if not cancel.cancelled:
                raise
            raise GenerationCancelled(provider=LOCAL) from None

    # ---- chat ----------------------------------------------------------------------

    async def stream_chat(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        events = ThreadEvents(asyncio.get_running_loop())
        job = self._worker.submit(self._generate_sync, request, events.put)
        finished = False
        try:
            while not finished:
                for item in await events.take():
                    if item is _DONE:
                        finished = True
                        break
                    if isinstance(item, BaseException):
                        finished = True  # the worker emits _DONE and stops after it
                        raise item
                    yield item  # type: ignore[misc]
        finally:
            # The consumer may stop early (Stop, closed window): the worker must not
            # keep generating for nobody. A stream that ended is left alone: its worker
            # may not have returned yet, and the token may be shared with what follows.
            if not finished and not job.done():
                request.cancel.cancel()

    def _generate_sync(self, request: ChatRequest, emit: Callable[[object], None]) -> None:
        try:
            self._load_sync(request.model, self._settings_for(request.model))
            for event in self._generate_events(request):
                emit(event)
        except ProviderError as exc:
            emit(exc)
        except Exception as exc:  # a worker's exception would otherwise vanish
            log.exception("local generation failed")
            emit(UnavailableError(f"The local model failed: {exc}", provider=LOCAL))
        finally:
            emit(_DONE)

    def _generate_events(self, request: ChatRequest) -> Iterator[StreamEvent]:
        llama = self._llama
        assert llama is not None
        if any(m.images for m in request.messages):
            raise BadRequestError(f"{request.model} cannot read images; pick a vision model for them.",
                                  provider=LOCAL)
        tokens = self._chat_tokens(llama, request.messages)
        self._check_fits(request.model, llama, len(tokens))
        s = request.sampling
        options: dict[str, Any] = {"temperature": s.temperature, "top_p": s.top_p, "top_k": s.top_k,
                                   "seed": s.seed, "max_tokens": request.max_tokens}
        finish: FinishReason = "stop"
        started = False
        try:
            with self._abortable(request.cancel):
                yield from self._read_prompt(llama, tokens, request.cancel)
                stream = llama.create_chat_completion(
                    messages=[_message(m) for m in request.messages], stream=True,
                    stop=list(s.stop) or None, **{k: v for k, v in options.items() if v is not None})
                for chunk in _closing(stream):
                    started = True
                    if request.cancel.cancelled:
                        finish = "cancelled"
                        break
                    choice = chunk["choices"][0]
                    text = choice["delta"].get("content")
                    if text:
                        yield TextDelta(text)
                    if choice.get("finish_reason") == "length":
                        finish = "length"
        except ValueError as exc:
            if "exceed context window" in str(exc):
                raise ContextTooLongError(f"The conversation is too long for {request.model} "
                                          f"({exc}).", provider=LOCAL) from None
            raise
        except GenerationCancelled:
            finish = "cancelled"
        if started:  # the prompt is in the KV cache; what came after it was generated
            # ... but for "length", the last token was sampled and never evaluated: count
            # it, or a reply cut off at 8 tokens reports 7 and seems to stop short of its limit.
            unevaluated = 1 if finish == "length" else 0
            yield Usage(len(tokens), max(0, llama.n_tokens - len(tokens)) + unevaluated)
        yield Finish(finish)

    def _check_fits(self, model: str, llama: llama_cpp.Llama, needed: int) -> None:
        """Refuse, before reading any of it, a prompt that leaves no room for a reply
        (llama-cpp-python refuses ``len(prompt) >= n_ctx`` too, but only after our reading)."""
        n_ctx = llama.n_ctx()
        if needed < n_ctx:
            return
        file_ctx = self._loaded.info.context_length if self._loaded else None
        raise_it = (f" (its file supports {file_ctx:,}: raise it in Settings → Local models)"
                    if file_ctx and file_ctx > n_ctx else "")
        raise ContextTooLongError(f"The conversation needs {needed:,} tokens; {model} reads at most "
                                  f"{n_ctx:,}, its reply included{raise_it}.", provider=LOCAL)

    def _read_prompt(self, llama: llama_cpp.Llama, tokens: list[int],
                     cancel: CancelToken) -> Iterator[PromptProgress]:
        """Evaluate all of the prompt but its last token, one n_batch at a time, saying how
        far it got: before the first chunk (the cached prefix counts as done) and after each.

        create_chat_completion then finds those tokens in the KV cache (``Llama.generate``
        keeps the longest prefix of ``_input_ids`` that matches its prompt) and evaluates
        only the last one, which gives the logits of the first reply token. A prompt whose
        unread part fits in one batch is left to it: one decode says nothing worth showing.
        """
        total, n_batch = len(tokens), llama.n_batch
        reuse = min(_common_prefix(llama._input_ids.tolist(), tokens), total - 1)
        if total - reuse <= n_batch:
            return
        if reuse and not llama._ctx.kv_cache_seq_rm(-1, reuse, -1):
            reuse = 0  # a recurrent model cannot drop a suffix of its state: start over
            llama.reset()  # type: ignore[no-untyped-call]
        llama.n_tokens = reuse
        yield PromptProgress(reuse, total)
        for start in range(reuse, total - 1, n_batch):
            if cancel.cancelled:
                raise GenerationCancelled(provider=LOCAL)
            chunk = tokens[start:min(start + n_batch, total - 1)]
            llama.eval(chunk)
            yield PromptProgress(start + len(chunk), total)
        if cancel.cancelled:
            raise GenerationCancelled(provider=LOCAL)

    async def score_next_token(self, model: str, messages: Sequence[ChatMessage], labels: Sequence[str],
                               cancel: CancelToken | None = None) -> LabelScores:
        """Log-probability of each label as the first token of the model's answer.

        The prompt goes through the model's chat template; the longest prefix already
        in the KV cache is kept, so a classifier prompt whose static part comes first
        only evaluates the message at its end.
        """
        return await self._on_worker(self._score_sync, model, tuple(messages), tuple(labels),
                                     cancel or CancelToken())

    def _score_sync(self, model: str, messages: tuple[ChatMessage, ...], labels: tuple[str, ...],
                    cancel: CancelToken) -> LabelScores:
        self._load_sync(model, self._settings_for(model))
        llama = self._llama
        assert llama is not None
        tokens = self._chat_tokens(llama, messages)
        cached = _common_prefix(llama._input_ids.tolist(), tokens)
        reuse = min(cached, len(tokens) - 1)  # the last token must be evaluated to get logits
        llama.n_tokens = reuse
        with self._abortable(cancel):
            llama.eval(tokens[reuse:])
        raw = llama._ctx.get_logits()  # type: ignore[no-untyped-call]
        logits = np.ctypeslib.as_array(raw, shape=(llama.n_vocab(),)).astype(np.float64)
        logprobs = logits - (logits.max() + np.log(np.exp(logits - logits.max()).sum()))
        ids = [llama.tokenize(label.encode("utf-8"), add_bos=False, special=False)[0] for label in labels]
        return LabelScores({label: float(logprobs[i]) for label, i in zip(labels, ids)},
                           prompt_tokens=len(tokens), evaluated=len(tokens) - reuse)

    async def choose(self, model: str, messages: Sequence[ChatMessage], choices: Sequence[str],
                     cancel: CancelToken | None = None) -> LabelScores:
        """The model's answer, constrained by a llama.cpp grammar to one of ``choices``."""
        return await self._on_worker(self._choose_sync, model, tuple(messages), tuple(choices),
                                     cancel or CancelToken())

    def _choose_sync(self, model: str, messages: tuple[ChatMessage, ...], choices: tuple[str, ...],
                     cancel: CancelToken) -> LabelScores:
        self._load_sync(model, self._settings_for(model))
        llama = self._llama
        assert llama is not None
        grammar = LlamaGrammar.from_string("root ::= " + " | ".join(json.dumps(c) for c in choices),
                                           verbose=False)
        with self._abortable(cancel):
            reply = llama.create_chat_completion(messages=[_message(m) for m in messages], grammar=grammar,
                                                 max_tokens=16, temperature=0)
        text = (reply["choices"][0]["message"]["content"] or "").strip()  # type: ignore[index]
        usage = reply["usage"]  # type: ignore[index]
        return LabelScores({c: (0.0 if c == text else float("-inf")) for c in choices},
                           prompt_tokens=usage["prompt_tokens"], evaluated=usage["prompt_tokens"])

    def _chat_tokens(self, llama: llama_cpp.Llama, messages: tuple[ChatMessage, ...]) -> list[int]:
        """The prompt exactly as create_chat_completion would build it, as token ids."""
        assert self._formatter is not None
        response = self._formatter(messages=[_message(m) for m in messages])
        return list(llama.tokenize(response.prompt.encode("utf-8"), add_bos=not response.added_special,
                                   special=True))

    async def embed(self, model: str, texts: Sequence[str], max_tokens: int = EMBED_MAX_TOKENS) -> list[list[float]]:
        """One mean-pooled, unit-length vector per text, from ``model`` in embedding mode.

        A text longer than ``max_tokens`` of the model's tokens keeps its end, as the
        classifier does: the latest words say most about what is asked.
        """
        return await self._on_worker(self._embed_sync, model, tuple(texts), max_tokens)

    async def load_embedder(self, model: str) -> None:
        """Load ``model`` for embedding and run it once, so the first decision that needs
        it is not the one that pays for loading (llama.cpp sizes its buffers on the
        first decode). The chat model stays loaded: the embedder is a second context."""
        await self._on_worker(self._load_embedder_sync, model)

    def _load_embedder_sync(self, model: str) -> None:
        if self._embedder is None or self._embedder[0] != model:
            self._embed_sync(model, ("warm up",), EMBED_MAX_TOKENS)

    def _embed_sync(self, model: str, texts: tuple[str, ...], max_tokens: int) -> list[list[float]]:
        if not texts:
            return []
        llama = self._embedder_for(model)
        capped = [_keep_last_tokens(llama, text, max_tokens) for text in texts]
        try:
            vectors: list[list[float]] = llama.embed(capped, normalize=True, truncate=True)
        except (ValueError, RuntimeError) as exc:
            raise UnavailableError(f"{model} could not embed the text ({exc}).", provider=LOCAL) from None
        return vectors

    def _embedder_for(self, name: str) -> llama_cpp.Llama:
        if self._embedder is not None and self._embedder[0] == name:
            return self._embedder[1]
        path = self._embedder_path_of(name)
        try:
            # The bundled file was sha256-checked at set-up; reading its 30,000-token
            # header again would cost a cold `route` a fifth of its one-second budget.
            if path != bundled_embedder_path():
                read_gguf(path)
        except InvalidModelFile as exc:
            raise ModelMissingError(f"Cannot load {name}: {exc}.", provider=LOCAL) from None
        self._close_embedder()  # one embedding model at a time: routers share one
        settings = self._settings_for(name)
        threads = settings.n_threads or default_threads()
        try:
            # A message is one batch, which llama-cpp-python would otherwise spread over
            # every logical CPU (its n_threads_batch default): the physical cores are faster.
            # Flash attention: the same vectors (cosine 0.999999) ~15% sooner at 256 tokens.
            llama = llama_cpp.Llama(
                model_path=str(path), embedding=True, pooling_type=llama_cpp.LLAMA_POOLING_TYPE_MEAN,
                n_ctx=EMBED_BATCH, n_batch=EMBED_BATCH, n_ubatch=EMBED_BATCH, flash_attn=True,
                n_threads=threads, n_threads_batch=threads, n_gpu_layers=settings.n_gpu_layers,
                verbose=False,
            )
        except (ValueError, RuntimeError, OSError) as exc:
            raise ModelMissingError(f"llama.cpp could not load {name} for embeddings ({exc}).",
                                    provider=LOCAL) from None
        self._embedder = (name, llama)
        return llama

    def _close_embedder(self) -> None:
        if self._embedder is not None:
            self._embedder[1].close()
        self._embedder = None

    async def forget_prefix(self) -> None:
        """Drop the KV cache's prompt prefix (benchmarks use it to measure a cold prompt)."""
        await self._on_worker(lambda: self._llama.reset() if self._llama else None)  # type: ignore[no-untyped-call]

    async def count_tokens(self, model: str, text: str) -> int:
        """Tokens of ``text`` in the model's own vocabulary."""
        return await self._on_worker(self._count_sync, model, text)

    def _count_sync(self, model: str, text: str) -> int:
        return self._count_many_sync(model, (text,))[0]

    async def count_tokens_many(self, model: str, texts: Sequence[str]) -> list[int]:
        """``count_tokens`` of each text, in one trip to the llama.cpp thread."""
        return await self._on_worker(self._count_many_sync, model, tuple(texts))

    def _count_many_sync(self, model: str, texts: tuple[str, ...]) -> list[int]:
        self._load_sync(model, self._settings_for(model))
        llama = self._llama
        assert llama is not None
        return [len(llama.tokenize(t.encode("utf-8"), add_bos=False, special=False)) for t in texts]

    async def message_overhead(self, model: str) -> int:
        """Tokens the model's chat template adds around each message (role markers,
        separators), beyond the message's own ``count_tokens``."""
        return (await self._on_worker(self._overheads_sync, model))[0]

    async def prompt_overhead(self, model: str) -> int:
        """Tokens the chat template adds once per conversation: BOS, the prompt that opens
        the reply, and a default system prompt where the template has one (SmolLM2's, ~20
        tokens, which a conversation with its own system message does without)."""
        return (await self._on_worker(self._overheads_sync, model))[1]

    def _overheads_sync(self, model: str) -> tuple[int, int]:
        """(per message, per conversation), measured on the loaded template: one message,
        then two, whose difference less the second's own tokens is one message's frame."""
        self._load_sync(model, self._settings_for(model))
        llama = self._llama
        assert llama is not None
        if self._overheads is None:
            text = "Hello there"
            own = len(llama.tokenize(text.encode("utf-8"), add_bos=False, special=False))
            one = self._chat_tokens(llama, (ChatMessage("user", text),))
            two = self._chat_tokens(llama, (ChatMessage("user", text), ChatMessage("assistant", text)))
            per_message = max(0, len(two) - len(one) - own)
            self._overheads = (per_message, max(0, len(one) - own - per_message))
        return self._overheads

    async def list_models(self) -> list[str]:
        return [m.name for m in self._models()]

    async def health(self) -> Health:
        n = len(self._models())
        gpu = "GPU offload" if gpu_offload_supported() else "CPU only"
        if n == 0:
            return Health(False, f"No local model installed ({gpu} build)")
        return Health(True, f"OK, {n} local model{'s' if n != 1 else ''} ({gpu} build)")

    async def aclose(self) -> None:
        await self._on_worker(self._unload_sync)
        await self._on_worker(self._close_embedder)
        self._worker.shutdown(wait=True)


_CHATML = ("{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}"
           "<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")


def compile_chat_template(llama: llama_cpp.Llama) -> Jinja2ChatFormatter:
    """The model's chat template (ChatML when it has none), compiled once per load."""
    eos, bos = llama.token_eos(), llama.token_bos()
    return Jinja2ChatFormatter(
        template=llama.metadata.get("tokenizer.chat_template") or _CHATML,
        eos_token=llama._model.token_get_text(eos) if eos != -1 else "",
        bos_token=llama._model.token_get_text(bos) if bos != -1 else "",
        stop_token_ids=[eos] if eos != -1 else None,  # as llama-cpp-python's own template handler
    )


def _common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def _keep_last_tokens(llama: llama_cpp.Llama, text: str, max_tokens: int) -> str:
    tokens = llama.tokenize(text.encode("utf-8"), add_bos=False, special=False)
    if len(tokens) <= max_tokens:
        return text
    return llama.detokenize(tokens[-max_tokens:]).decode("utf-8", errors="ignore")


def _closing(stream: Any) -> Any:
    """Iterate llama-cpp-python's stream and close it even when we stop early, so the
    model's state is settled before the next request uses it."""
    try:
        yield from stream
    finally:
        stream.close()


def _message(message: ChatMessage) -> Any:  # llama_cpp's TypedDict union, per role
    return {"role": message.role, "content": message.text}
