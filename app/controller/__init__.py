"""Async orchestration between the UI and the core (route → stream → persist). No Qt widgets."""
