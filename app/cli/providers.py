"""``python -m app providers add|list|remove|test`` and ``keys set|delete``.

Keys are read from a hidden prompt or from standard input, never from an argument:
arguments end up in shell history and in every process listing.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from dataclasses import replace

from app.cli.errors import UsageError
from app.controller.default_router import offer_words, provider_values
from app.core.providers.config import PRESETS, ProviderConfig, config_from_preset
from app.core.providers.registry import ProviderRegistry
from app.core.secrets import SecretsError, SecretStore
from app.core.settings import ProviderSettings, Settings


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = commands.add_parser("providers", help="set up cloud and local-server providers")
    sub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = sub.add_parser("add", help=f"add a provider ({', '.join(PRESETS)})")
    add.add_argument("preset", choices=sorted(PRESETS))
    add.add_argument("--id", help="name used in targets (default: the preset's)")
    add.add_argument("--base-url", help="for custom OpenAI-compatible servers")
    add.add_argument("--model", help="default model")
    sub.add_parser("list", help="list providers and whether they have a key")
    remove = sub.add_parser("remove", help="remove a provider (and its key)")
    remove.add_argument("id")
    test = sub.add_parser("test", help="check that a provider answers, in plain words")
    test.add_argument("id")
    p.set_defaults(run=run_providers)

    k = commands.add_parser("keys", help="store or delete a provider's API key (OS keyring)")
    ksub = k.add_subparsers(dest="action", required=True, metavar="ACTION")
    for action in ("set", "delete"):
        ksub.add_parser(action).add_argument("provider")
    k.set_defaults(run=run_keys)


def run_providers(args: argparse.Namespace) -> int:
    settings = Settings.load()
    if args.action == "add":
        return _add(settings, args)
    if args.action == "list":
        return asyncio.run(_list(settings))
    if args.action == "remove":
        return asyncio.run(_remove(settings, args.id))
    return asyncio.run(_test(settings, args.id))


def _add(settings: Settings, args: argparse.Namespace) -> int:
    config = config_from_preset(args.preset, args.id)
    if args.base_url:
        config = replace(config, base_url=args.base_url)
    if args.model:
        config = replace(config, default_model=args.model)
    if any(p.id == config.id for p in settings.providers):
        raise UsageError(f'a provider called "{config.id}" exists; remove it first or pass --id')
    saved = replace(settings, **provider_values(settings, (*settings.providers, ProviderSettings(config))))
    saved.save()
    hint = f"; now store its key: python -m app keys set {config.id}" if config.key_required else ""
    print(f"Added {config.id} ({config.base_url}){hint}")
    if saved.router_offer and not settings.router_offer:  # said once, as the window's notice
        print(offer_words(saved.router_offer, saved.default_router) +
              " Choose it for new chats in the window's notice, or for one message with "
              f'--router "{saved.router_offer}".')
    return 0


async def _list(settings: Settings) -> int:
    secrets = await asyncio.to_thread(SecretStore)
    for provider in settings.providers:
        c = provider.config
        has_key = await secrets.get(c.id) is not None
        key = "key stored" if has_key else ("no key needed" if not c.key_required else "NO KEY")
        print(f"{c.id:12} {c.kind:9} {c.base_url}  [{key}]")
    if not settings.providers:
        print("No providers yet: python -m app providers add openai")
    print(f"Keys: {secrets.backend_name}" + (f" — {secrets.warning}" if secrets.warning else ""))
    return 0


async def _remove(settings: Settings, provider_id: str) -> int:
    if not any(p.id == provider_id for p in settings.providers):
        raise UsageError(f'there is no provider called "{provider_id}"')
    replace(settings, providers=tuple(p for p in settings.providers if p.id != provider_id)).save()
    secrets = await asyncio.to_thread(SecretStore)
    try:
        await secrets.delete(provider_id)
    except SecretsError as exc:
        print(f"warning: {exc}", file=sys.stderr)
    print(f"Removed {provider_id}")
    return 0


async def _test(settings: Settings, provider_id: str) -> int:
    config = _config(settings, provider_id)
    secrets = await asyncio.to_thread(SecretStore)
    await secrets.warm([provider_id])
    registry = ProviderRegistry([config], secrets.cached)
    try:
        health = await registry.get(provider_id).health()
    finally:
        await registry.aclose()
    print(f"{provider_id}: {health.detail}")
    return 0 if health.ok else 1


def _config(settings: Settings, provider_id: str) -> ProviderConfig:
    for provider in settings.providers:
        if provider.id == provider_id:
            return provider.config
    raise UsageError(f'there is no provider called "{provider_id}"')


def run_keys(args: argparse.Namespace) -> int:
    return asyncio.run(_keys(args.action, args.provider))


async def _keys(action: str, provider_id: str) -> int:
    secrets = await asyncio.to_thread(SecretStore)
    try:
        if action == "delete":
            await secrets.delete(provider_id)
            print(f"Deleted the key for {provider_id}")
            return 0
        if not secrets.secure:  # a key kept "for this session" dies with this command
            raise UsageError("keys cannot be saved securely on this system (no usable keyring: "
                             f"{secrets.backend_name}); the key was not stored")
        await secrets.set(provider_id, _read_key(provider_id))
    except SecretsError as exc:
        raise UsageError(str(exc)) from None
    print(f"Saved the key for {provider_id} in {secrets.backend_name}")
    return 0


def _read_key(provider_id: str) -> str:
    if sys.stdin.isatty():
        key = getpass.getpass(f"API key for {provider_id} (hidden): ")
    else:
        key = sys.stdin.readline()
    key = key.strip()
    if not key:
        raise UsageError("no key given (type it at the prompt, or pipe it on standard input)")
    return key
