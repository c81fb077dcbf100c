"""The move and delete icons are drawn in the palette's button text, so they show on a
dark palette as on a light one, and a disabled one is fainter but still there."""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize
from PySide6.QtGui import QIcon, QPalette
from PySide6.QtWidgets import QStyleFactory
from pytestqt.qtbot import QtBot

from app.ui.line_icons import SIZE, line_icon
from tests.support.dark_theme import VISIBLE, dark_palette, strongest_contrast

WHOLE = QRect(0, 0, SIZE * 2, SIZE * 2)


def seen(icon: QIcon, mode: QIcon.Mode, palette: QPalette, ratio: float = 1.0) -> float:
    pixmap = icon.pixmap(QSize(SIZE, SIZE), ratio, mode)
    return strongest_contrast(pixmap.toImage(), WHOLE, palette.color(QPalette.ColorRole.Button))


def test_each_icon_shows_in_dark_and_light_and_fades_when_disabled(qtbot: QtBot) -> None:
    light = QStyleFactory.create("Fusion").standardPalette()
    for palette in (dark_palette(), light):
        for kind in ("up", "down", "delete", "close"):
            icon = line_icon(kind, palette)
            normal = seen(icon, QIcon.Mode.Normal, palette)
            disabled = seen(icon, QIcon.Mode.Disabled, palette)
            assert normal >= VISIBLE, (kind, normal)
            assert 1.5 <= disabled < normal, (kind, disabled, normal)
            assert seen(icon, QIcon.Mode.Normal, palette, ratio=2.0) >= VISIBLE  # a 2x screen
