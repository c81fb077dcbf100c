"""Switchboard: a desktop assistant that routes each message to a local or cloud model."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("switchboard")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"
