"""The user's settings: one JSON file, ``settings.json`` in the data directory.

It holds providers (never their keys: those live in the keyring, see ``secrets``), the
default router, offline mode, price overrides and how local models run. Loading never
fails: a missing file gives the defaults; a file that cannot be read, or a value that
makes no sense, is copied aside as ``settings.json.broken-<time>`` and replaced by its
default, with ``problem`` saying what happened. Saving writes a temporary file and
renames it over the old one, so a crash mid-save leaves the previous settings whole.
"""

from __future__ import annotations

import filecmp
import json
import logging
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, TypeVar, cast, get_args

from app.core.api_settings import ApiSettings, parse_api
from app.core.chat_settings import (
    DEFAULT_POLICY,
    MAX_REPLY_TOKENS,
    REPLY_LIMIT_TOKENS,
    ChatSettingsError,
    ContextPolicy,
    check_reply_tokens,
)
from app.core.file_modes import private_dir
from app.core.model_catalog import CatalogError, ModelEntry, parse_entry
from app.core.paths import data_dir
from app.core.pricing import PricingError, parse_price
from app.core.providers.config import Kind, ProviderConfig
from app.core.providers.local_settings import LOCAL, LocalModelSettings
from app.core.router.fields import describe
from app.core.router.library import DEFAULT_ROUTER
from app.core.safe_read import UnsafeInput, one_line, open_regular, parse_json, read_bytes

log = logging.getLogger(__name__)
T = TypeVar("T")

SCHEMA = 1
MAX_SETTINGS_BYTES = 1 << 20  # a few kilobytes in practice; a megabyte is not settings
# What `problem` lists of a file with many bad values: one line a person reads (the
# copy kept aside holds the rest).
MAX_PROBLEMS_SHOWN = 3
MAX_PROBLEM_CHARS = 140
BUNDLED_MODEL = "SmolLM2-135M-Instruct"
# A remote target silent this long after its request is left for the fallback: seconds,
# not the minutes of three read timeouts.
FIRST_TOKEN_TIMEOUT_S = 20.0
KINDS: tuple[str, ...] = get_args(Kind)
_PROVIDER_ID = re.compile(r"[a-z0-9][a-z0-9_-]*")  # the part of a target before ":"


class SettingsError(Exception):
    """Settings could not be saved; the message is for the user."""


class _Invalid(ValueError):
    """One value in the file makes no sense; the message names it."""


@dataclass(frozen=True, slots=True)
class ProviderSettings:
    """A provider as the user set it up: how to reach it, and which models to offer."""

    config: ProviderConfig
    enabled_models: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        return self.config.id


@dataclass(frozen=True, slots=True)
class Settings:
    providers: tuple[ProviderSettings, ...] = ()
    default_router: str = DEFAULT_ROUTER
    # A router offered for new chats and not yet answered: the first provider brings the
    # offer instead of a silent switch (app/controller/default_router.py).
    router_offer: str | None = None
    offline: bool = False
    lock_new_chats: bool = False  # new chats start locked to this computer
    pricing_overrides: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    local: LocalModelSettings = field(default_factory=LocalModelSettings)
    default_local_model: str = BUNDLED_MODEL
    context_policy: ContextPolicy = DEFAULT_POLICY  # for chats that do not set their own
    first_token_timeout_s: float = FIRST_TOKEN_TIMEOUT_S
    reply_limit_tokens: int = REPLY_LIMIT_TOKENS  # for chats that do not set their own
    # The user's figures for a target (window, longest reply, vision), over the catalog's.
    model_overrides: Mapping[str, ModelEntry] = field(default_factory=dict)
    api: ApiSettings = field(default_factory=ApiSettings)  # the local API server
    problem: str | None = field(default=None, compare=False)  # what loading had to fix

    @classmethod
    def load(cls, path: Path | None = None) -> Settings:
        """The settings in ``path`` (default: the data directory's); never raises."""
        path = path or settings_path()
        try:
            raw = read_bytes(path, limit=MAX_SETTINGS_BYTES)
        except FileNotFoundError:
            return cls()
        except (OSError, UnsafeInput) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else f"the file {exc}"
            # A file too large to read is still the user's, and the next save replaces
            # it: it is copied aside as any other bad file is (a pipe or a device is not).
            kept = _keep_backup(path, None) if isinstance(exc, UnsafeInput) and path.is_file() else None
            note = f"; a copy was kept as {kept.name}" if kept else ""
            log.warning("Cannot read %s: %s", path, reason)
            return cls(problem=f"Your settings could not be read ({reason}); defaults are used{note}.")
        settings, problems = _parse(raw)
        if not problems:
            return settings
        backup = _keep_backup(path, raw)
        note = (f"a copy was kept as {backup.name}" if backup
                else "no copy could be kept")
        problem = f"Some settings were reset ({_listed(problems)}); {note}."
        log.warning("%s: %s", path, problem)
        return replace(settings, problem=problem)

    def save(self, path: Path | None = None) -> None:
        """Write the settings atomically; raises SettingsError when that fails."""
        path = path or settings_path()
        text = json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n"
        try:
            _write_atomically(path, text)
        except OSError as exc:
            raise SettingsError(f"Could not save settings to {path}: {exc.strerror or exc}") from exc

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "providers": [_provider_json(p) for p in self.providers],
            "default_router": self.default_router,
            "router_offer": self.router_offer,
            "offline": self.offline,
            "lock_new_chats": self.lock_new_chats,
            "pricing_overrides": {t: dict(p) for t, p in self.pricing_overrides.items()},
            "local": {**{f.name: getattr(self.local, f.name) for f in fields(self.local)},
                      "default_model": self.default_local_model},
            "context_policy": self.context_policy.value,
            "first_token_timeout_s": self.first_token_timeout_s,
            "reply_limit_tokens": self.reply_limit_tokens,
            "model_overrides": {t: _entry_json(e) for t, e in self.model_overrides.items()},
            "api": self.api.to_json(),
        }

    def provider_configs(self) -> list[ProviderConfig]:
        """What ``ProviderRegistry`` needs."""
        return [p.config for p in self.providers]


def provider_id_problem(provider_id: str) -> str | None:
    """Why ``provider_id`` cannot name a provider, in plain words; None when it can. The
    same rule reading settings.json applies (``_provider``)."""
    if not provider_id:
        return "Give the provider an ID."
    if not _PROVIDER_ID.fullmatch(provider_id):
        return 'The ID may only hold lower-case letters, digits, "-" and "_".'
    if provider_id == LOCAL:
        return f'"{provider_id}" is taken by the built-in local model; pick another ID.'
    return None


def settings_path() -> Path:
    return data_dir() / "settings.json"


# ---- reading: every field on its own, so one bad value costs only that value ----------

def _parse(raw: bytes) -> tuple[Settings, list[str]]:
    try:
        document = parse_json(raw)
    except UnsafeInput as exc:
        return Settings(), [f"the file {exc}"]
    if not isinstance(document, dict):
        return Settings(), ["the file does not hold a JSON object"]
    problems: list[str] = []
    schema = document.get("schema", SCHEMA)
    if isinstance(schema, bool) or schema != SCHEMA:
        shown = repr(schema) if len(repr(schema)) <= 30 else describe(schema)
        problems.append(f"the file is schema {shown}, this version reads {SCHEMA}")
    defaults = Settings()

    def field_or_default(name: str, parse: Callable[[Any], T], default: T) -> T:
        if name not in document:
            return default
        try:
            return parse(document[name])
        except _Invalid as exc:
            problems.append(f"{name}: {exc}")
            return default

    providers = _parse_providers(document.get("providers", []), problems)
    overrides = _parse_overrides(document.get("pricing_overrides", {}), problems)
    local, local_model = _parse_local(document.get("local", {}), problems)
    settings = Settings(
        providers=providers,
        default_router=field_or_default("default_router", _text, defaults.default_router),
        router_offer=field_or_default("router_offer", _optional_text, defaults.router_offer),
        offline=field_or_default("offline", _flag, defaults.offline),
        lock_new_chats=field_or_default("lock_new_chats", _flag, defaults.lock_new_chats),
        pricing_overrides=overrides, local=local, default_local_model=local_model,
        context_policy=field_or_default("context_policy", _policy, defaults.context_policy),
        first_token_timeout_s=field_or_default("first_token_timeout_s", _seconds,
                                               defaults.first_token_timeout_s),
        reply_limit_tokens=field_or_default("reply_limit_tokens", _reply_tokens,
                                            defaults.reply_limit_tokens),
        model_overrides=_parse_model_overrides(document.get("model_overrides", {}), problems),
        api=parse_api(document.get("api", {}), problems),
    )
    return settings, problems


def _parse_providers(value: object, problems: list[str]) -> tuple[ProviderSettings, ...]:
    if not isinstance(value, list):
        problems.append("providers: expected a list")
        return ()
    providers: dict[str, ProviderSettings] = {}
    for number, entry in enumerate(value, start=1):
        try:
            provider = _provider(entry)
            if provider.id in providers:
                raise _Invalid("another provider has this id")
        except _Invalid as exc:
            label = entry.get("id") if isinstance(entry, dict) else None
            problems.append(f"provider {number}" + (f' ("{label}")' if label else "") + f": {exc}")
            continue
        providers[provider.id] = provider
    return tuple(providers.values())


def _provider(entry: object) -> ProviderSettings:
    # Only the known fields are read, so a key someone typed into the file by hand is
    # never loaded, and the next save drops it.
    if not isinstance(entry, dict):
        raise _Invalid("expected an object")
    provider_id = _named(_text, entry, "id")
    if provider_id_problem(provider_id) is not None:
        raise _Invalid('id: use lower-case letters, digits, "-" or "_" (and not "local")')
    kind = entry.get("kind")
    if kind not in KINDS:
        raise _Invalid(f"kind: expected one of {', '.join(KINDS)}")
    base_url = _named(_text, entry, "base_url")
    if not base_url.startswith(("http://", "https://")):
        raise _Invalid("base_url: expected an address starting with http:// or https://")
    config = ProviderConfig(
        id=provider_id, kind=cast(Kind, kind), base_url=base_url,
        default_model=_named(_optional_text, entry, "default_model"),
        key_required=_named(_flag, entry, "key_required") if "key_required" in entry else True,
    )
    return ProviderSettings(config, _named(_model_names, entry, "enabled_models"))


def _named(parse: Callable[[Any], T], entry: dict[str, Any], name: str) -> T:
    """``parse(entry[name])`` with the field's name in the complaint."""
    try:
        return parse(entry.get(name))
    except _Invalid as exc:
        raise _Invalid(f"{name}: {exc}") from None


def _parse_overrides(value: object, problems: list[str]) -> dict[str, dict[str, float]]:
    if not isinstance(value, dict):
        problems.append("pricing_overrides: expected an object")
        return {}
    overrides: dict[str, dict[str, float]] = {}
    for target, entry in value.items():
        try:
            price = parse_price(target, entry)
        except PricingError as exc:
            problems.append(str(exc))
            continue
        overrides[target] = {"input": price.input_per_mtok, "output": price.output_per_mtok}
    return overrides


def _parse_model_overrides(value: object, problems: list[str]) -> dict[str, ModelEntry]:
    if not isinstance(value, dict):
        problems.append("model_overrides: expected an object")
        return {}
    overrides: dict[str, ModelEntry] = {}
    for target, entry in value.items():
        try:
            if isinstance(entry, dict) and "price" in entry:
                raise CatalogError(f'model override "{target}": prices are set in pricing_overrides.')
            overrides[target] = parse_entry(target, entry, "model override")
        except CatalogError as exc:
            problems.append(str(exc))
    return overrides


def _policy(value: object) -> ContextPolicy:
    try:
        return ContextPolicy(str(value)) if isinstance(value, str) else ContextPolicy("")
    except ValueError:
        raise _Invalid(f"expected one of {', '.join(p.value for p in ContextPolicy)}") from None


def _seconds(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 1 <= value <= 600:
        raise _Invalid("expected a number of seconds from 1 to 600")
    return float(value)


def _reply_tokens(value: object) -> int:
    try:
        return check_reply_tokens(value)
    except ChatSettingsError:
        raise _Invalid(f"expected a whole number of tokens from 1 to {MAX_REPLY_TOKENS:,}") from None


# Each local setting's range: beyond these no machine or model goes, and a value past
# them (a typo, 1e12) would otherwise reach llama.cpp, which tries to allocate it.
MAX_N_CTX = 1 << 24  # 16,777,216 tokens; the longest window shipped today is 10M (Llama 4 Scout)
_LOCAL_RANGES: dict[str, tuple[int, int]] = {
    "n_ctx": (256, MAX_N_CTX),
    "n_threads": (1, 1024),
    "n_batch": (1, MAX_N_CTX),
    "n_gpu_layers": (-1, 100_000),  # -1: all layers; 999 is a common way to say so too
}


def _parse_local(value: object, problems: list[str]) -> tuple[LocalModelSettings, str]:
    if not isinstance(value, dict):
        problems.append("local: expected an object")
        return LocalModelSettings(), BUNDLED_MODEL
    chosen: dict[str, Any] = {}
    for name, (low, high) in _LOCAL_RANGES.items():
        if name not in value:
            continue
        given = value[name]
        if (given is None and name == "n_threads") or (_is_int(given) and low <= given <= high):
            chosen[name] = given
        else:
            shown = f"{given:,}" if _is_int(given) else repr(given)[:40]
            problems.append(f"local.{name}: {shown} is out of range (a whole number from {low:,} to {high:,})")
    model = value.get("default_model", BUNDLED_MODEL)
    if not isinstance(model, str) or not model:
        problems.append("local.default_model: expected a model name")
        model = BUNDLED_MODEL
    return LocalModelSettings(**chosen), model


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _text(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _Invalid("expected some text")
    return value.strip()


def _model_names(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise _Invalid("expected a list of model names")
    return tuple(dict.fromkeys(_text(name) for name in value))  # in order, once each


def _optional_text(value: object) -> str | None:
    return None if value is None else _text(value)


def _flag(value: object) -> bool:
    if not isinstance(value, bool):
        raise _Invalid("expected true or false")
    return value


# ---- writing ---------------------------------------------------------------------------

def _provider_json(provider: ProviderSettings) -> dict[str, Any]:
    config = provider.config
    return {"id": config.id, "kind": config.kind, "base_url": config.base_url,
            "default_model": config.default_model, "key_required": config.key_required,
            "enabled_models": list(provider.enabled_models)}


def _entry_json(entry: ModelEntry) -> dict[str, Any]:
    return {name: value for name in ("context", "max_output", "vision", "tools")
            if (value := getattr(entry, name)) is not None}


def _write_atomically(path: Path, text: str) -> None:
    private_dir(path.parent)  # mkstemp below makes the file itself 0600
    # Same directory as the target, so the rename cannot cross file systems.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())  # the data is on disk before the name points at it
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _listed(problems: list[str]) -> str:
    """The problems as part of one line: each on one line and cut when long (a provider
    id of 3,000 characters, a newline in a target), the first few of many."""
    shown = [one_line(p, MAX_PROBLEM_CHARS) for p in problems[:MAX_PROBLEMS_SHOWN]]
    more = len(problems) - len(shown)
    return "; ".join(shown) + (f"; and {more:,} more" if more else "")


def _keep_backup(path: Path, raw: bytes | None) -> Path | None:
    """Copy the file the user had aside before its bad parts are replaced; ``raw`` is its
    content, or None for a file too large to hold, which is compared and copied in pieces.

    Loading again before a save must not pile up copies, so an identical one is reused.
    """
    pattern = f"{path.name}.broken-*"
    for existing in sorted(path.parent.glob(pattern)):
        if _same_content(existing, path, raw):
            return existing
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for attempt in range(100):
        backup = path.with_name(f"{path.name}.broken-{stamp}" + (f"-{attempt}" if attempt else ""))
        try:
            with backup.open("xb") as out:  # "x": never overwrite an earlier copy
                if raw is None:
                    with open_regular(path) as source:
                        shutil.copyfileobj(source, out)
                else:
                    out.write(raw)
            return backup
        except FileExistsError:
            continue
        except (OSError, UnsafeInput) as exc:
            backup.unlink(missing_ok=True)  # a part of a copy is no copy
            log.warning("Cannot keep a copy of %s: %s", path, exc)
            return None
    return None


def _same_content(existing: Path, path: Path, raw: bytes | None) -> bool:
    try:
        if raw is not None:
            return read_bytes(existing, limit=MAX_SETTINGS_BYTES) == raw
        # is_file first: filecmp would block on a pipe someone named like a copy.
        return existing.is_file() and existing.stat().st_size == path.stat().st_size \
            and filecmp.cmp(existing, path, shallow=False)
    except (OSError, UnsafeInput):
        return False
