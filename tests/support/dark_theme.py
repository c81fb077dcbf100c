"""A dark desktop palette (the one ``scripts/screenshots.py`` shows), and the WCAG
contrast between two colours, to check that a control stays visible in it.

WCAG 2.1 asks 3:1 of the parts of a control a user must see to use it (1.4.11).
"""

from __future__ import annotations

from PySide6.QtCore import QRect
from PySide6.QtGui import QColor, QImage, QPalette

VISIBLE = 3.0  # WCAG's ratio for a control's outline or icon against what is behind it

_DARK = {QPalette.ColorRole.Window: "#202124", QPalette.ColorRole.WindowText: "#e8eaed",
         QPalette.ColorRole.Base: "#17181a", QPalette.ColorRole.AlternateBase: "#26282b",
         QPalette.ColorRole.Text: "#e8eaed", QPalette.ColorRole.Button: "#2b2d30",
         QPalette.ColorRole.ButtonText: "#e8eaed", QPalette.ColorRole.Highlight: "#3d6fd9",
         QPalette.ColorRole.HighlightedText: "#ffffff", QPalette.ColorRole.ToolTipBase: "#2b2d30",
         QPalette.ColorRole.ToolTipText: "#e8eaed", QPalette.ColorRole.PlaceholderText: "#9aa0a6",
         QPalette.ColorRole.Link: "#8ab4f8"}


def dark_palette() -> QPalette:
    palette = QPalette()
    for role, colour in _DARK.items():
        palette.setColor(role, QColor(colour))
    return palette


def _luminance(colour: QColor) -> float:
    def channel(value: float) -> float:
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(colour.redF()) + 0.7152 * channel(colour.greenF()) + 0.0722 * channel(colour.blueF())


def contrast(a: QColor, b: QColor) -> float:
    """WCAG contrast ratio, 1 (the same) to 21 (black on white)."""
    lighter, darker = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def strongest_contrast(image: QImage, area: QRect, against: QColor) -> float:
    """The most any pixel of ``area`` (opaque ones only) stands out from ``against``."""
    best = 1.0
    for x in range(max(0, area.left()), min(image.width(), area.right() + 1)):
        for y in range(max(0, area.top()), min(image.height(), area.bottom() + 1)):
            pixel = image.pixelColor(x, y)
            if pixel.alpha() > 200:
                best = max(best, contrast(pixel, against))
    return best
