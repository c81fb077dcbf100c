"""Colours for the chat, derived from the widget's palette.

Nothing here is a fixed colour for text or backgrounds: each one is a blend of palette
roles, so light and dark themes (and a palette change at run time) follow the system.
The only literal hues are the red and amber that tint errors and warnings, and those are
always mixed into the palette's own base colour.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPalette
from PySide6.QtWidgets import QWidget

# Defined beside the highlighter, which must stay Qt-free; re-exported as part of the theme.
from app.ui.chat.markdown import pygments_style

__all__ = [
    "assistant_background",
    "code_background",
    "code_header_background",
    "error_background",
    "is_dark",
    "mix",
    "muted_text",
    "paint_panel",
    "pygments_style",
    "set_foreground",
    "user_bubble",
    "warning_background",
]

_Role = QPalette.ColorRole

_ERROR_HUE = QColor(211, 47, 47)
_WARNING_HUE = QColor(230, 160, 0)


def is_dark(palette: QPalette) -> bool:
    """True when the window background is darker than its text."""
    return palette.color(_Role.Window).lightnessF() < palette.color(_Role.WindowText).lightnessF()


def mix(a: QColor, b: QColor, t: float) -> QColor:
    """``a`` blended towards ``b`` by ``t`` (0 = a, 1 = b), alpha included."""
    return QColor.fromRgbF(
        a.redF() + (b.redF() - a.redF()) * t,
        a.greenF() + (b.greenF() - a.greenF()) * t,
        a.blueF() + (b.blueF() - a.blueF()) * t,
        a.alphaF() + (b.alphaF() - a.alphaF()) * t,
    )


def user_bubble(palette: QPalette) -> QColor:
    # A dark base needs more of the accent before the tint is visible at all.
    strength = 0.30 if is_dark(palette) else 0.14
    return mix(palette.color(_Role.Base), palette.color(_Role.Highlight), strength)


def assistant_background(palette: QPalette) -> QColor:
    # Replies sit directly on the chat background, full width, like a document.
    return QColor(Qt.GlobalColor.transparent)


def muted_text(palette: QPalette) -> QColor:
    # Not PlaceholderText: palettes built from two colours leave it equal to the text.
    return mix(palette.color(_Role.WindowText), palette.color(_Role.Window), 0.42)


def code_background(palette: QPalette) -> QColor:
    strength = 0.08 if is_dark(palette) else 0.05
    return mix(palette.color(_Role.Base), palette.color(_Role.Text), strength)


def code_header_background(palette: QPalette) -> QColor:
    return mix(code_background(palette), palette.color(_Role.Text), 0.06)


def error_background(palette: QPalette) -> QColor:
    return mix(palette.color(_Role.Base), _ERROR_HUE, 0.24 if is_dark(palette) else 0.10)


def warning_background(palette: QPalette) -> QColor:
    return mix(palette.color(_Role.Base), _WARNING_HUE, 0.20 if is_dark(palette) else 0.14)


def paint_panel(widget: QWidget, color: QColor, radius: float = 8.0) -> None:
    """Fill ``widget`` with a rounded rectangle; call from its ``paintEvent``.

    Painting (rather than a style sheet) reads the colour at paint time, so a palette
    change repaints correctly without re-applying anything.
    """
    if color.alpha() == 0:
        return
    painter = QPainter(widget)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(color)
    painter.drawRoundedRect(QRectF(widget.rect()), radius, radius)
    painter.end()


def set_foreground(widget: QWidget, color: QColor) -> None:
    """Give ``widget`` its own text colour and inherit every other role from its parent."""
    palette = QPalette()  # no roles set: the rest keeps resolving from the parent
    for role in (_Role.WindowText, _Role.Text, _Role.ButtonText):
        palette.setColor(role, color)
    widget.setPalette(palette)
