"""Combo boxes that fit a narrow form column.

By default a QComboBox asks for the width of its longest item, so one long choice
("Automatic (the classifier model if local, else the bundled one)") widens the whole
form past its column. These ask for a few words' width, grow into the room the column
has, and elide the rest.
"""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QSizePolicy

MIN_CHARS = 16


def compact(combo: QComboBox, chars: int = MIN_CHARS) -> QComboBox:
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(chars)
    combo.setSizePolicy(QSizePolicy.Policy.Expanding, combo.sizePolicy().verticalPolicy())
    return combo
