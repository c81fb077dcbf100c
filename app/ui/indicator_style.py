"""Check boxes and radio buttons that stay visible on a dark palette.

Fusion (what Qt draws on a Linux desktop without a platform style) outlines an unchecked
box in the window colour made darker. On a light window that is a clear grey line; on a
dark one it is nearly the colour of the box's own fill, so an unchecked box all but
vanishes (in forms and in list rows alike: item views draw their boxes through the same
primitive). This proxy lightens only the colour that outline is made from, and only
while the palette is dark, so the box is drawn by the style itself, as before, with the
line the user needs to see it.
"""

from __future__ import annotations

from PySide6.QtGui import QPainter, QPalette
from PySide6.QtWidgets import QApplication, QProxyStyle, QStyle, QStyleOption, QWidget

from app.ui import theme

__all__ = ["IndicatorStyle", "install"]

_INDICATORS = (QStyle.PrimitiveElement.PE_IndicatorCheckBox,
               QStyle.PrimitiveElement.PE_IndicatorRadioButton)
# How far the outline's source moves from the window colour towards the text. Fusion
# darkens it (by 140 %), so this is what puts a radio button's thin ring at WCAG's 3:1
# against the window; a box's straight edges come out clearer still.
_TOWARDS_TEXT = 0.75


class IndicatorStyle(QProxyStyle):
    """``key``'s style (Fusion, Windows…) with visible check-box outlines in the dark."""

    def drawPrimitive(self, element: QStyle.PrimitiveElement, option: QStyleOption,
                      painter: QPainter, widget: QWidget | None = None) -> None:
        if element in _INDICATORS and self._outlines_from_window() and theme.is_dark(option.palette):
            option = type(option)(option)  # the caller's option stays as it was
            palette = QPalette(option.palette)
            for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive,
                          QPalette.ColorGroup.Disabled):
                window = palette.color(group, QPalette.ColorRole.Window)
                text = palette.color(group, QPalette.ColorRole.WindowText)
                palette.setColor(group, QPalette.ColorRole.Window, theme.mix(window, text, _TOWARDS_TEXT))
            option.palette = palette
        super().drawPrimitive(element, option, painter, widget)

    def _outlines_from_window(self) -> bool:
        # Other styles draw these boxes from other roles (or natively): leave them be.
        base = self.baseStyle()
        return base is not None and base.name().lower() == "fusion"


def install(app: QApplication) -> None:
    """Put the app's style behind ``IndicatorStyle`` when it is Fusion (once; again
    after the style was replaced, e.g. by ``app.setStyle("Fusion")``). A platform's own
    style (Breeze, Windows, macOS) draws its boxes its own way and is left alone."""
    style = app.style()
    if isinstance(style, IndicatorStyle) or style.name().lower() != "fusion":
        return
    app.setStyle(IndicatorStyle(style.name()))
