"""Small line icons (move up, move down, delete, close) drawn in the palette's own button
text.

The style's standard arrows and bin are fixed dark pixmaps: on a dark palette they
vanish, and a disabled one is an empty square. These are painted from the palette a
widget has now, with a muted pen for the disabled state, at 1x and 2x so they stay sharp
on a high-density screen; a widget calls ``line_icon`` again when its palette changes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPainterPath, QPalette, QPen, QPixmap

from app.ui import theme

__all__ = ["SIZE", "Kind", "line_icon"]

Kind = Literal["up", "down", "delete", "close"]
SIZE = 16  # logical pixels, the size of the style's small icons
_DISABLED_TOWARDS_BUTTON = 0.65  # a disabled icon: the text colour half-way into the button


def line_icon(kind: Kind, palette: QPalette) -> QIcon:
    """The ``kind`` icon in ``palette``'s button text, with its own disabled look."""
    text = palette.color(QPalette.ColorGroup.Active, QPalette.ColorRole.ButtonText)
    button = palette.color(QPalette.ColorGroup.Active, QPalette.ColorRole.Button)
    muted = theme.mix(text, button, _DISABLED_TOWARDS_BUTTON)
    icon = QIcon()
    for ratio in (1.0, 2.0):
        icon.addPixmap(_pixmap(_DRAW[kind], text, ratio), QIcon.Mode.Normal)
        icon.addPixmap(_pixmap(_DRAW[kind], muted, ratio), QIcon.Mode.Disabled)
    return icon


def _pixmap(draw: Callable[[QPainter], None], colour: QColor, ratio: float) -> QPixmap:
    pixmap = QPixmap(int(SIZE * ratio), int(SIZE * ratio))
    pixmap.setDevicePixelRatio(ratio)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    pen = QPen(colour, 1.6)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    painter.setPen(pen)
    draw(painter)
    painter.end()
    return pixmap


def _arrow(painter: QPainter, up: bool) -> None:
    tip, tail = (3.0, 13.0) if up else (13.0, 3.0)
    head = 4.5 if up else -4.5
    painter.drawLine(QPointF(8, tip), QPointF(8, tail))
    path = QPainterPath(QPointF(3.5, tip + head))
    path.lineTo(QPointF(8, tip))
    path.lineTo(QPointF(12.5, tip + head))
    painter.drawPath(path)


def _bin(painter: QPainter) -> None:
    painter.drawLine(QPointF(2.5, 4), QPointF(13.5, 4))  # the lid
    painter.drawLine(QPointF(6.5, 2), QPointF(9.5, 2))  # its handle
    body = QPainterPath(QPointF(4, 4))
    body.lineTo(QPointF(5, 14))
    body.lineTo(QPointF(11, 14))
    body.lineTo(QPointF(12, 4))
    painter.drawPath(body)
    for x in (7.0, 9.0):
        painter.drawLine(QPointF(x, 6.5), QPointF(x, 11.5))


def _cross(painter: QPainter) -> None:
    painter.drawLine(QPointF(4, 4), QPointF(12, 12))
    painter.drawLine(QPointF(12, 4), QPointF(4, 12))


_DRAW: dict[str, Callable[[QPainter], None]] = {
    "up": lambda painter: _arrow(painter, up=True),
    "down": lambda painter: _arrow(painter, up=False),
    "delete": _bin,
    "close": _cross,
}
