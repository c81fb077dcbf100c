"""The router settings form explains similarity routing in plain words and shows the
bundled encoder's calibrated threshold and margin without writing them into the file."""

from __future__ import annotations

from typing import Any

from app.core.router.schema import ClassifierConfig
from app.ui.router_editor.router_settings_form import RouterSettingsForm

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
