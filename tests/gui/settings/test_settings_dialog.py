"""The Settings window's own controls in a dark palette: the Close button's cross is
drawn in the palette's button text (the style's is a fixed dark one, lost on a dark
button) and follows a change of palette."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QRect
from PySide6.QtGui import QIcon, QPalette
from PySide6.QtWidgets import QProxyStyle, QStyle, QStyleFactory

from app.ui.line_icons import SIZE
from app.ui.settings.settings_dialog import SettingsDialog
from tests.support.dark_theme import VISIBLE, dark_palette, strongest_contrast


def cross_contrast(dialog: SettingsDialog, palette: QPalette) -> float:
    assert dialog.close_button is not None
    image = dialog.close_button.icon().pixmap(SIZE, SIZE, QIcon.Mode.Normal).toImage()
    return strongest_contrast(image, QRect(0, 0, SIZE, SIZE), palette.color(QPalette.ColorRole.Button))


class _IconsOnButtons(QProxyStyle):
    """Fusion as a Linux desktop's platform theme gives it: icons on dialog buttons (the
    offscreen platform says no icons)."""

    def styleHint(self, hint: QStyle.StyleHint, option: Any = None, widget: Any = None,
                  data: Any = None) -> int:
        if hint == QStyle.StyleHint.SH_DialogButtonBox_ButtonsHaveIcons:
            return 1
        return super().styleHint(hint, option, widget, data)


async def test_the_close_button_shows_its_cross_in_dark_and_light(qtbot: Any, session: Any) -> None:
    dialog = SettingsDialog(session, lambda offline: None)
    qtbot.addWidget(dialog)
    try:
        assert dialog.close_button is not None
        if not dialog.style().styleHint(QStyle.StyleHint.SH_DialogButtonBox_ButtonsHaveIcons):
            assert dialog.close_button.icon().isNull()  # a style without them gets none
        style = _IconsOnButtons("Fusion")
        dialog.setStyle(style)
        dark = dark_palette()
        dialog.setPalette(dark)
        assert cross_contrast(dialog, dark) >= VISIBLE
        light = QStyleFactory.create("Fusion").standardPalette()
        dialog.setPalette(light)
        assert cross_contrast(dialog, light) >= VISIBLE  # redrawn for the new palette
    finally:
        await dialog.api_server.stop()
