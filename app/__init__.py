"""Switchboard: a desktop assistant that routes each message to a local or cloud model."""

from importlib.metadata import PackageNotFoundError, version
from pathlib import Path


def _version() -> str:
    """pyproject.toml's version: from the installed (or frozen) metadata, else read from
    the source tree's pyproject.toml, so there is one place it lives."""
    try:
        return version("switchboard")
    except PackageNotFoundError:
        import tomllib

        try:
            with open(Path(__file__).resolve().parents[1] / "pyproject.toml", "rb") as file:
                return str(tomllib.load(file)["project"]["version"])
        except (OSError, KeyError, ValueError):
            return "0.0.0+unknown"


__version__ = _version()
