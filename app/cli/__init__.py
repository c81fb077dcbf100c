"""The headless face of Switchboard: ``python -m app <command>``."""
