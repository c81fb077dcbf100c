"""One chat message: Markdown and code rendering, incremental streaming, status, signals."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtGui import QColor, QGuiApplication, QPalette, QPixmap
from PySide6.QtWidgets import (
    QAbstractButton,
    QLabel,
    QLayout,
    QPushButton,
    QTextEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)
from pytestqt.qtbot import QtBot

from app.controller.fixes import Fix, FixKind
from app.ui import theme
from app.ui.chat.code_block import CodeBlock
from app.ui.chat.message_widget import MessageWidget
from app.ui.chat.prose_label import ProseLabel

Factory = Callable[..., MessageWidget]

REPLY = """Intro with **bold** and a [link](https://example.com).

```python
def one():
    return 1
```

Between the blocks.

```sh
echo two
```

~~~
three
~~~

Closing words"""


@pytest.fixture
def make(qtbot: QtBot) -> Factory:
    def factory(role: str = "assistant", message_id: int | None = 7) -> MessageWidget:
        widget = MessageWidget(role, message_id)
        qtbot.addWidget(widget)
        return widget
    return factory


def shown(qtbot: QtBot, widget: QWidget, width: int) -> QWidget:
    """Show ``widget`` in a window ``width`` px wide, as the chat's scroll area would.

    The host's layout keeps the message's minimum size off the window: the offscreen
    platform warns on every change of a window's size constraints.
    """
    host = QWidget()
    qtbot.addWidget(host)
    layout = QVBoxLayout(host)
    layout.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
    layout.addWidget(widget)
    host.resize(width, 400)
    host.show()
    qtbot.waitExposed(host)
    return host


def dark_palette() -> QPalette:
    palette = QPalette()
    roles = QPalette.ColorRole
    for role, colour in [(roles.Window, "#202124"), (roles.WindowText, "#e8eaed"),
                         (roles.Base, "#181818"), (roles.Text, "#e8eaed"),
                         (roles.Button, "#2b2b2b"), (roles.ButtonText, "#e8eaed"),
                         (roles.Highlight, "#3d7bd9"), (roles.Link, "#8ab4f8")]:
        palette.setColor(role, QColor(colour))
    return palette


def button(widget: QWidget, name: str) -> QAbstractButton:
    found = widget.findChild(QAbstractButton, name)
    assert found is not None, name
    return found


def test_reply_renders_prose_and_code_blocks(make: Factory) -> None:
    reply = make()
    reply.set_text(REPLY)
    kinds = [type(w) for w in reply.segment_widgets()]
    assert kinds == [ProseLabel, CodeBlock, ProseLabel, CodeBlock, CodeBlock, ProseLabel]
    intro = reply.segment_widgets()[0]
    assert isinstance(intro, QLabel)
    assert intro.textFormat().name == "MarkdownText"
    assert intro.openExternalLinks()
    block = reply.segment_widgets()[1]
    assert isinstance(block, CodeBlock)
    assert (block.code, block.lang) == ("def one():\n    return 1", "python")
    assert reply.accessibleName() == "Assistant message"


def test_user_message_is_plain_text(make: Factory) -> None:
    user = make("user")
    user.set_text("<b>not bold</b>\nsecond line")
    [label] = [each for each in user.findChildren(QLabel) if each.text().startswith("<b>")]
    assert label.textFormat().name == "PlainText"
    assert label.text() == "<b>not bold</b>\nsecond line"
    assert user.segment_widgets() == []


def test_code_copy_button_puts_the_code_on_the_clipboard(make: Factory) -> None:
    reply = make()
    reply.set_text(REPLY)
    copy = button(reply.segment_widgets()[3], "copyCodeButton")
    copy.click()
    assert QGuiApplication.clipboard().text() == "echo two"
    assert copy.text() == "Copied"


def test_message_copy_button_copies_the_whole_text(make: Factory) -> None:
    reply = make()
    reply.set_text(REPLY)
    button(reply, "copyMessageButton").click()
    assert QGuiApplication.clipboard().text() == REPLY


def test_streaming_updates_only_the_tail(make: Factory) -> None:
    reply = make()
    reply.set_text(REPLY)
    before = reply.segment_widgets()
    reply.set_text(REPLY + " that keep coming")
    after = reply.segment_widgets()
    assert all(a is b for a, b in zip(before, after, strict=True))
    last = after[-1]
    assert isinstance(last, QLabel)
    assert last.text() == "Closing words that keep coming"

    reply.set_text(REPLY + "\n\n```py\nx = ")
    grown = reply.segment_widgets()
    assert grown[:-1] == after and all(a is b for a, b in zip(after, grown, strict=False))
    assert isinstance(grown[-1], CodeBlock) and not grown[-1].closed

    reply.set_text(REPLY)
    assert reply.segment_widgets() == after[:6]
    assert all(a is b for a, b in zip(after, reply.segment_widgets(), strict=False))


def test_streamed_code_block_shows_exactly_the_code(make: Factory) -> None:
    reply = make()
    source = 'Here:\n\n```python\ndef f(x):\n    """Two\n    lines"""\n\n    return x  # done\n```\nBye'
    for end in range(1, len(source) + 1):
        reply.set_text(source[:end])
        blocks = [w for w in reply.segment_widgets() if isinstance(w, CodeBlock)]
        for block in blocks:
            view = block.findChild(QTextEdit)
            assert view is not None
            assert view.toPlainText() == block.code, source[:end]
    [block] = blocks
    assert block.closed and block.code.endswith("return x  # done")


@pytest.mark.parametrize("status", ["incomplete", "failed"])
def test_problem_status_offers_retry(make: Factory, qtbot: QtBot, status: str) -> None:
    reply = make(message_id=42)
    reply.set_text("Half an ans")
    reply.set_status(status, "The server stopped answering.")
    retry = button(reply, "retryButton")
    assert retry.isVisibleTo(reply)
    with qtbot.waitSignal(reply.sig_retry_requested) as blocker:
        retry.click()
    assert blocker.args == [42]
    box = reply.findChild(QWidget, "statusBox")
    assert box is not None
    text = " ".join(label.text() for label in box.findChildren(QLabel))
    expected = "incomplete" if status == "incomplete" else "The server stopped answering."
    assert expected in text

    reply.set_status("complete")
    assert not retry.isVisibleTo(reply)


def test_failed_status_action_emits_its_id(make: Factory, qtbot: QtBot) -> None:
    reply = make()
    fix = Fix(FixKind.ADD_KEY, "anthropic")
    reply.set_status("failed", "No API key is set for Anthropic.", ("Add key…", fix))
    action = button(reply, "actionButton")
    assert isinstance(action, QPushButton)
    assert action.isVisibleTo(reply) and action.text() == "Add key…"
    with qtbot.waitSignal(reply.sig_action_requested) as blocker:
        action.click()
    assert blocker.args == [fix]


def test_streaming_shows_a_typing_indicator(make: Factory) -> None:
    reply = make()
    indicator = reply.findChild(QLabel, "typingIndicator")
    assert indicator is not None
    reply.set_status("streaming")
    assert indicator.isVisibleTo(reply)
    assert not button(reply, "regenerateButton").isEnabled()
    reply.set_status("complete")
    assert not indicator.isVisibleTo(reply)
    assert button(reply, "regenerateButton").isEnabled()


def test_unknown_status_is_refused(make: Factory) -> None:
    with pytest.raises(ValueError, match="status"):
        make().set_status("done")


def test_badge_click_requests_the_trace(make: Factory, qtbot: QtBot) -> None:
    reply = make(message_id=None)
    reply.set_badge("SmolLM2-135M · local · rule private_stays_local", "Matched a rule")
    badge = button(reply, "badgeButton")
    assert badge.isVisibleTo(reply) and badge.toolTip() == "Matched a rule"
    assert not badge.isEnabled()  # nothing to trace until the reply is stored
    reply.set_message_id(9)
    with qtbot.waitSignal(reply.sig_trace_requested) as blocker:
        badge.click()
    assert blocker.args == [9]
    reply.set_badge(None)
    assert not badge.isVisibleTo(reply)


def test_edit_and_regenerate_emit_the_message_id(make: Factory, qtbot: QtBot) -> None:
    user, reply = make("user", 3), make("assistant", 4)
    assert not button(user, "regenerateButton").isVisibleTo(user)
    assert not button(reply, "editButton").isVisibleTo(reply)
    with qtbot.waitSignal(user.sig_edit_requested) as edited:
        button(user, "editButton").click()
    with qtbot.waitSignal(reply.sig_regenerate_requested) as regenerated:
        button(reply, "regenerateButton").click()
    assert (edited.args, regenerated.args) == ([3], [4])


def test_every_button_is_named_for_screen_readers(make: Factory) -> None:
    for role in ("user", "assistant"):
        widget = make(role)
        widget.set_text(REPLY)
        if role == "assistant":
            widget.set_badge("model · local")
        widget.set_status("failed", "Nope.", ("Fix…", Fix(FixKind.GO_ONLINE)))
        for each in widget.findChildren(QAbstractButton):
            assert each.accessibleName(), each.objectName()
            assert each.toolTip(), each.objectName()


def test_stats_line(make: Factory) -> None:
    reply = make()
    stats = reply.findChild(QLabel, "statsLabel")
    assert stats is not None and not stats.isVisibleTo(reply)
    reply.set_stats("128 tokens · 70.2 tok/s · 1.8 s · free")
    assert stats.isVisibleTo(reply) and stats.text().startswith("128 tokens")


def test_attachments_show_thumbnails_or_chips(make: Factory) -> None:
    user = make("user")
    big = QPixmap(400, 200)
    big.fill(QColor("green"))
    user.set_attachments([("photo.png", big), ("image/png · 12 KB", None)])
    labels = user.findChildren(QLabel)
    thumbnails = [label.pixmap() for label in labels
                  if not label.pixmap().isNull() and label.objectName() != "attachmentIcon"]
    assert [(p.width(), p.height()) for p in thumbnails] == [(96, 48)]
    assert any(label.text() == "image/png · 12 KB" for label in labels)
    icons = [label for label in labels if label.objectName() == "attachmentIcon"]
    assert len(icons) == 1 and not icons[0].pixmap().isNull()


def test_dark_palette_darkens_the_code_block(qtbot: QtBot) -> None:
    reply = MessageWidget("assistant", 1)
    reply.set_text("```python\nx = 1\n```")
    host = shown(qtbot, reply, 500)
    assert host.isVisible()
    block = reply.segment_widgets()[0]
    light = theme.code_background(block.palette())
    assert not theme.is_dark(reply.palette())

    reply.setPalette(dark_palette())
    assert theme.is_dark(reply.palette()) and theme.is_dark(block.palette())
    dark = theme.code_background(block.palette())
    assert dark != light and dark.lightness() < light.lightness()
    # A pixel of the block's own background, past the end of the short line.
    pixel = block.grab().toImage().pixelColor(block.width() - 20, block.height() - 4)
    assert pixel.name() == dark.name()


def test_long_code_line_scrolls_inside_the_block(qtbot: QtBot) -> None:
    reply = MessageWidget("assistant", 1)
    reply.set_text("See:\n\n```python\nx = '" + "y" * 500 + "'\n```\n\n" + "z" * 300)
    host = shown(qtbot, reply, 400)
    assert reply.minimumSizeHint().width() < 400  # nothing in it insists on more width
    assert reply.width() <= host.width() == 400
    view = reply.segment_widgets()[1].findChild(QTextEdit)
    assert view is not None
    assert view.horizontalScrollBar().maximum() > 0  # it scrolls sideways instead
    assert view.verticalScrollBar().maximum() == 0  # and is as tall as its content


def test_flat_action_buttons_are_tool_buttons(make: Factory) -> None:
    reply = make()
    for name in ("copyMessageButton", "regenerateButton", "badgeButton"):
        assert isinstance(button(reply, name), QToolButton)


def test_a_reply_cut_off_at_its_limit_says_so_without_offering_retry(make: Factory) -> None:
    reply = make(message_id=9)
    reply.set_text("Once upon a time, there was a")
    note = "Cut off: the reply reached its limit of 8 tokens (change it in Settings → Chats)."
    reply.set_status("complete", note)
    reply.show()
    box = reply.findChild(QWidget, "statusBox")
    assert box is not None and box.isVisibleTo(reply)
    assert note in " ".join(label.text() for label in box.findChildren(QLabel))
    assert not button(reply, "retryButton").isVisibleTo(reply)
    assert reply.accessibleDescription() == note
    reply.set_status("complete")
    assert not box.isVisibleTo(reply)
