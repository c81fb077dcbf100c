"""PySide6 widgets: show state, forward user intent; no business logic."""
