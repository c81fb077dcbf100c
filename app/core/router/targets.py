"""Targets name what answers a message: ``provider:model`` ("local:SmolLM2-135M-Instruct")."""

from __future__ import annotations

import re

LOCAL_PROVIDER = "local"
_TARGET = re.compile(r"[a-z0-9][a-z0-9_-]*:\S.*")


def is_target(text: str) -> bool:
    return _TARGET.fullmatch(text) is not None


def provider_of(target: str) -> str:
    return target.partition(":")[0]


def model_of(target: str) -> str:
    return target.partition(":")[2]


def is_local(target: str) -> bool:
    return provider_of(target) == LOCAL_PROVIDER
