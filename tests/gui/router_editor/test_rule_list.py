"""The rule list's move and delete buttons in a dark palette, and after the palette
changes: their icons follow it (the style's fixed dark arrows vanished on a dark window)."""

from __future__ import annotations

from PySide6.QtCore import QRect
from PySide6.QtGui import QIcon, QPalette
from PySide6.QtWidgets import QStyleFactory, QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot

from app.ui.line_icons import SIZE
from app.ui.router_editor.rule_list import RuleList
from tests.support.dark_theme import VISIBLE, dark_palette, strongest_contrast

RULES = [{"id": "a", "title": "Code", "when": {"type": "code"}, "route_to": "local:m"},
         {"id": "b", "title": "Images", "enabled": False, "when": {"type": "image"}, "route_to": "local:m"}]


def icon_contrast(rules: RuleList, palette: QPalette) -> list[float]:
    actions = (rules.up_action, rules.down_action, rules.remove_action)
    return [strongest_contrast(a.icon().pixmap(SIZE, SIZE, mode).toImage(), QRect(0, 0, SIZE, SIZE),
                               palette.color(QPalette.ColorRole.Button))
            for a in actions for mode in (QIcon.Mode.Normal, QIcon.Mode.Disabled)]


def test_move_and_delete_icons_show_in_dark_and_follow_a_palette_change(qtbot: QtBot) -> None:
    host = QWidget()
    qtbot.addWidget(host)
    rules = RuleList()
    QVBoxLayout(host).addWidget(rules)
    dark = dark_palette()
    host.setPalette(dark)
    rules.set_rules(RULES, select=0)
    host.show()
    qtbot.waitExposed(host)
    assert min(icon_contrast(rules, dark)[0::2]) >= VISIBLE  # each action's normal icon
    assert min(icon_contrast(rules, dark)[1::2]) >= 1.5  # disabled: fainter, not gone

    light = QStyleFactory.create("Fusion").standardPalette()
    host.setPalette(light)
    assert min(icon_contrast(rules, light)[0::2]) >= VISIBLE  # redrawn for the light palette
