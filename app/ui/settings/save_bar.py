"""The row at the foot of a settings page: what happened, Revert, Save."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton


class SaveBar(QHBoxLayout):
    def __init__(self, what: str, revert_tip: str, save_tip: str) -> None:
        super().__init__()
        self.status = QLabel()
        self.status.setAccessibleName("Save status")
        self.revert_button = QPushButton("Revert")
        self.revert_button.setAccessibleName(f"Revert {what}")
        self.revert_button.setToolTip(revert_tip)
        self.save_button = QPushButton("Save")
        self.save_button.setAccessibleName(f"Save {what}")
        self.save_button.setToolTip(save_tip)
        self.addWidget(self.status, 1)
        self.addWidget(self.revert_button)
        self.addWidget(self.save_button)
