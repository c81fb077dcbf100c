"""Draws resources/icons/switchboard.png (a message branching to two models); run with Qt
offscreen: QT_QPA_PLATFORM=offscreen python packaging/make_icon.py resources/icons/switchboard.png"""
import sys
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QGuiApplication, QImage, QPainter, QPainterPath, QPen
app = QGuiApplication([])
size = 256
img = QImage(size, size, QImage.Format.Format_ARGB32)
img.fill(Qt.GlobalColor.transparent)
p = QPainter(img)
p.setRenderHint(QPainter.RenderHint.Antialiasing)
p.setPen(Qt.PenStyle.NoPen)
p.setBrush(QColor("#2f5fd0"))
p.drawRoundedRect(QRectF(8, 8, 240, 240), 52, 52)
pen = QPen(QColor("white"), 18, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin)
p.setPen(pen)
p.setBrush(Qt.BrushStyle.NoBrush)
path = QPainterPath(QPointF(52, 128))
path.lineTo(104, 128)
path.cubicTo(QPointF(140, 128), QPointF(140, 76), QPointF(176, 76))
p.drawPath(path)
path2 = QPainterPath(QPointF(104, 128))
path2.cubicTo(QPointF(140, 128), QPointF(140, 180), QPointF(176, 180))
p.drawPath(path2)
p.setPen(Qt.PenStyle.NoPen)
p.setBrush(QColor("white"))
for y in (76, 180):
    p.drawEllipse(QPointF(192, y), 20, 20)
p.setBrush(QColor("#9fe0b0"))
p.drawEllipse(QPointF(52, 128), 20, 20)
p.end()
img.save(sys.argv[1])
