"""Unchecked check boxes and radio buttons stay visible on a dark palette (Fusion draws
their outline from the window colour, which on a dark window is all but the fill), and
look exactly as before on a light one."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QImage, QPalette
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QCheckBox,
    QListWidget,
    QListWidgetItem,
    QRadioButton,
    QStyle,
    QStyleFactory,
)
from pytestqt.qtbot import QtBot

from app.ui import indicator_style
from app.ui.indicator_style import IndicatorStyle
from tests.support.dark_theme import VISIBLE, dark_palette, strongest_contrast


def shot(qtbot: QtBot, make: Callable[[], QAbstractButton], palette: QPalette,
         style: QStyle) -> tuple[QImage, QRect]:
    button = make()
    qtbot.addWidget(button)
    button.setStyle(style)
    button.setPalette(palette)
    button.resize(120, 28)
    button.show()
    qtbot.waitExposed(button)
    side = style.pixelMetric(QStyle.PixelMetric.PM_IndicatorWidth, None, button)
    return button.grab().toImage(), QRect(0, 0, side + 2, button.height())


def test_unchecked_boxes_and_radios_show_on_a_dark_window(qtbot: QtBot) -> None:
    palette = dark_palette()
    style = IndicatorStyle("Fusion")
    for make in (lambda: QCheckBox("Offline"), lambda: QRadioButton("Local")):
        image, indicator = shot(qtbot, make, palette, style)
        seen = strongest_contrast(image, indicator, palette.color(QPalette.ColorRole.Window))
        assert seen >= VISIBLE, (make().text(), seen)


def test_a_light_window_looks_as_plain_fusion_draws_it(qtbot: QtBot) -> None:
    light = QStyleFactory.create("Fusion").standardPalette()
    for make in (lambda: QCheckBox("Offline"), lambda: QRadioButton("Local")):
        ours, _ = shot(qtbot, make, light, IndicatorStyle("Fusion"))
        plain, _ = shot(qtbot, make, light, QStyleFactory.create("Fusion"))
        assert ours == plain


def test_a_list_rows_box_shows_on_a_dark_list(qtbot: QtBot) -> None:
    palette = dark_palette()
    rules = QListWidget()
    qtbot.addWidget(rules)
    rules.setStyle(IndicatorStyle("Fusion"))
    rules.setPalette(palette)
    item = QListWidgetItem("Images")
    item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
    item.setCheckState(Qt.CheckState.Unchecked)
    rules.addItem(item)
    rules.resize(200, 80)
    rules.show()
    qtbot.waitExposed(rules)
    row = rules.visualItemRect(item)
    image = rules.viewport().grab().toImage()
    box = QRect(row.left(), row.top(), row.height() + 4, row.height())
    assert strongest_contrast(image, box, palette.color(QPalette.ColorRole.Base)) >= VISIBLE


def test_install_wraps_the_apps_style_once() -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    before, was_ours = app.style().name(), isinstance(app.style(), IndicatorStyle)
    try:
        app.setStyle("Windows")  # a style that draws its boxes its own way: left alone
        indicator_style.install(app)
        assert not isinstance(app.style(), IndicatorStyle)
        app.setStyle("Fusion")  # as scripts/screenshots.py does after start-up
        indicator_style.install(app)
        installed = app.style()
        assert isinstance(installed, IndicatorStyle) and installed.baseStyle().name().lower() == "fusion"
        indicator_style.install(app)  # already there: nothing changes
        assert app.style() is installed
    finally:
        app.setStyle(before)
        if was_ours:
            indicator_style.install(app)


def test_the_app_starts_with_it() -> None:
    code = ("from app.ui.app import make_application\n"
            "from app.ui.indicator_style import IndicatorStyle\n"
            "app = make_application([])\n"
            "print(type(app.style()).__name__, app.style().baseStyle().name())\n")
    # Offscreen on Linux, with no platform theme, Qt picks Fusion: what needs the fix.
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          timeout=120, check=True)
    assert done.stdout.split()[0] == "IndicatorStyle", done.stdout + done.stderr
