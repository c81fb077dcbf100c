"""The one adapter from the session's Changes to Qt signals: one signal per part."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from app.controller.changes import ChangeHub, Changes
from app.ui.change_signals import ChangeSignals


def test_each_part_is_re_emitted_once_and_a_batch_is_heard_whole(qtbot: QtBot) -> None:
    hub = ChangeHub()
    owner = QWidget()
    qtbot.addWidget(owner)
    signals = ChangeSignals(hub, owner)
    heard: list[object] = []
    signals.sig_settings_changed.connect(lambda: heard.append("settings"))
    signals.sig_providers_changed.connect(lambda: heard.append("providers"))
    signals.sig_local_models_changed.connect(lambda: heard.append("local_models"))
    signals.sig_messages_changed.connect(lambda cid: heard.append(cid))
    with hub.batch():
        hub.publish(Changes(settings=True))
        hub.publish(Changes(providers=True, messages=frozenset({3, 1})))
        assert heard == []
    assert heard == [1, 3, "settings", "providers"]
    hub.publish(Changes())  # nothing changed: nobody hears it
    hub.publish(Changes(local_models=True))
    assert heard[-1] == "local_models" and len(heard) == 5


def test_a_deleted_adapter_unsubscribes(qtbot: QtBot) -> None:
    hub = ChangeHub()
    owner = QWidget()
    ChangeSignals(hub, owner)
    owner.deleteLater()
    qtbot.wait(10)
    hub.publish(Changes(settings=True))  # would raise on a deleted QObject
    assert hub._listeners == []
