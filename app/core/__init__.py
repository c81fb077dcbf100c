"""Switchboard's Qt-free core: router, providers, models, tokens, storage."""
