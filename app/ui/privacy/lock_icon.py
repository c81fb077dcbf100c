"""A padlock drawn in the palette's button-text colour, closed or open.

Drawn rather than an emoji or a bundled image: the fonts of many Linux desktops (and
the test and screenshot servers) have no emoji, and a drawn icon follows dark themes.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap

SIZE = 16


def lock_icon(colour: QColor, closed: bool, ratio: float = 2.0) -> QIcon:
    pixmap = QPixmap(int(SIZE * ratio), int(SIZE * ratio))
    pixmap.setDevicePixelRatio(ratio)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    pen = QPen(colour, 1.8)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    painter.setPen(pen)
    # The shackle: an arch over the body. Open, it is lifted out of the body on the
    # right and hangs on its left leg.
    shackle = QPainterPath()
    lift = 0.0 if closed else 3.0
    shackle.moveTo(5.0, 8.0)
    shackle.lineTo(5.0, 5.5 - lift)
    shackle.arcTo(QRectF(5.0, 2.0 - lift, 6.0, 6.0), 180.0, -180.0)
    shackle.lineTo(11.0, 8.0 if closed else 5.5 - lift + 1.5)
    painter.drawPath(shackle)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(colour)
    painter.drawRoundedRect(QRectF(2.5, 7.5, 11.0, 7.5), 1.8, 1.8)
    painter.end()
    return QIcon(pixmap)
