"""The router settings form explains similarity routing in plain words and shows the
bundled encoder's calibrated threshold and margin without writing them into the file."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QLabel

from app.core.router.schema import ClassifierConfig
from app.ui.router_editor.router_settings_form import (
    MARGIN_LABEL,
    THRESHOLD_LABEL,
    RouterSettingsForm,
)

ROUTER = {"schema": 1, "name": "Mine", "fallback": ["local:SmolLM2-135M-Instruct"], "rules": []}


def test_threshold_and_margin_are_explained_and_default_to_the_calibrated_values(qtbot: Any) -> None:
    form = RouterSettingsForm([])
    qtbot.addWidget(form)
    form.set_router(dict(ROUTER))
    form.show()
    help_text = form.similarity_help.text()
    assert form.similarity_help.isVisible()
    for words in ("threshold", "margin", "0 (unrelated)", "1 (same", "fallback answers"):
        assert words in help_text
    assert "1 = same meaning" in form.threshold.toolTip() and "ahead of the next" in form.margin.toolTip()
    assert "all-MiniLM-L6-v2" in form.embedding_model.toolTip()
    default = ClassifierConfig()
    assert (form.threshold.value(), form.margin.value()) == (default.threshold, default.margin)
    assert "classifier" not in form.value()  # the defaults are not written into the router
    form.threshold.setValue(0.3)
    assert form.value()["classifier"] == {"threshold": 0.3}


def test_threshold_and_margin_say_what_they_mean_where_they_stand(qtbot: Any) -> None:
    form = RouterSettingsForm([])
    qtbot.addWidget(form)
    form.set_router(dict(ROUTER))
    form.show()
    labels = [w.text() for w in form.findChildren(QLabel) if w.isVisible()]
    # Plain labels, not the bare jargon ("Threshold 0.800", "Margin 0.002").
    assert THRESHOLD_LABEL in labels and MARGIN_LABEL in labels
    assert "Threshold" not in labels and "Margin" not in labels
    for spin, note in ((form.threshold, form.threshold_note), (form.margin, form.margin_note)):
        assert note.isVisible() and note.text()
        field_box = spin.parentWidget()  # the field with its error line
        assert note.parentWidget() is field_box.parentWidget() and note.y() > field_box.geometry().bottom()
        assert spin.accessibleDescription() == note.text()  # read out with the field
    assert "0 = unrelated, 1 = same meaning" in form.threshold_note.text()
    assert "fallback answers" in form.margin_note.text()
    assert form.classifier_note.isVisible()
    # Every field of the classifier box explains itself on hover too.
    for field in (form.decide_by, form.method, form.timeout, form.context_turns, form.max_tokens,
                  form.embedding_model, form.threshold, form.margin):
        assert field.toolTip(), field.accessibleName()
