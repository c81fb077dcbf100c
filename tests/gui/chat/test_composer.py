"""The composer: Enter/Shift+Enter, Send/Stop, Up to edit, and image attachments."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QBuffer, QIODevice, QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QColor, QDragEnterEvent, QDropEvent, QImage
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QLabel,
    QLayout,
    QPlainTextEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)
from pytestqt.qtbot import QtBot

from app.core.byte_size import format_bytes
from app.core.providers.base import ImagePart
from app.ui.chat import image_attachment
from app.ui.chat.composer import MAX_LINES, PLACEHOLDER, Composer
from app.ui.chat.image_attachment import AttachmentError, sniff_image_mime

# -- helpers ------------------------------------------------------------------------------


@pytest.fixture
def composer(qtbot: QtBot) -> Iterator[Composer]:
    # Hosted at the bottom of a window, as in the app. The host's layout does not pass the
    # composer's growing minimum height on to the window: the offscreen platform warns on
    # every change of a window's size constraints ("does not support propagateSizeHints").
    host = QWidget()
    qtbot.addWidget(host)
    layout = QVBoxLayout(host)
    layout.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
    layout.addStretch(1)
    widget = Composer(host)
    layout.addWidget(widget)
    host.resize(520, 420)
    host.show()
    qtbot.waitExposed(host)
    yield widget  # and keep ``host`` referenced, or Python deletes it with its children


def make_png(folder: Path, name: str = "photo.png", colour: str = "#3366cc",
             width: int = 40, height: int = 30) -> Path:
    image = QImage(width, height, QImage.Format.Format_RGB32)
    image.fill(QColor(colour))
    path = folder / name
    assert image.save(str(path), "PNG")
    return path


def text_input(composer: Composer) -> QPlainTextEdit:
    widget = composer.findChild(QPlainTextEdit, "composer_input")
    assert widget is not None
    return widget


def send_button(composer: Composer) -> QPushButton:
    widget = composer.findChild(QPushButton, "composer_send")
    assert widget is not None
    return widget


def error_text(composer: Composer) -> str:
    label = composer.findChild(QLabel, "composer_error")
    assert label is not None
    return label.text() if label.isVisibleTo(composer) else ""


def remove_buttons(composer: Composer) -> list[QAbstractButton]:
    # Removed thumbnails are hidden at once and deleted later: count only the shown ones.
    return [button for button in composer.findChildren(QAbstractButton)
            if button.accessibleName().startswith("Remove image")
            and button.isVisibleTo(composer)]


def thumbnails_shown(composer: Composer) -> bool:
    row = composer.findChild(QWidget, "composer_thumbnails")
    assert row is not None
    return row.isVisibleTo(composer)


def type_text(qtbot: QtBot, composer: Composer, text: str) -> None:
    qtbot.keyClicks(text_input(composer), text)


def press(qtbot: QtBot, composer: Composer, key: Qt.Key,
          modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    qtbot.keyClick(text_input(composer), key, modifier)


# -- Enter, Shift+Enter, empty ------------------------------------------------------------


def test_enter_sends_the_stripped_text_and_clears(qtbot: QtBot, composer: Composer) -> None:
    type_text(qtbot, composer, "  hello there  ")
    with qtbot.wait_signal(composer.sig_send_requested) as blocker:
        press(qtbot, composer, Qt.Key.Key_Return)
    assert blocker.args == ["hello there", []]
    assert composer.text() == ""


def test_keypad_enter_sends_too(qtbot: QtBot, composer: Composer) -> None:
    type_text(qtbot, composer, "hi")
    with qtbot.wait_signal(composer.sig_send_requested) as blocker:
        press(qtbot, composer, Qt.Key.Key_Enter, Qt.KeyboardModifier.KeypadModifier)
    assert blocker.args == ["hi", []]


def test_shift_enter_adds_a_line_and_does_not_send(qtbot: QtBot, composer: Composer) -> None:
    type_text(qtbot, composer, "first")
    with qtbot.assert_not_emitted(composer.sig_send_requested):
        press(qtbot, composer, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    type_text(qtbot, composer, "second")
    assert composer.text() == "first\nsecond"
    with qtbot.wait_signal(composer.sig_send_requested) as blocker:
        press(qtbot, composer, Qt.Key.Key_Return)
    assert blocker.args == ["first\nsecond", []]


@pytest.mark.parametrize("typed", ["", "   ", "\t"])
def test_nothing_to_send_sends_nothing(qtbot: QtBot, composer: Composer, typed: str) -> None:
    composer.set_text(typed)
    with qtbot.assert_not_emitted(composer.sig_send_requested):
        press(qtbot, composer, Qt.Key.Key_Return)
        send_button(composer).click()
    assert not send_button(composer).isEnabled()


def test_send_button_sends(qtbot: QtBot, composer: Composer) -> None:
    type_text(qtbot, composer, "via the button")
    assert send_button(composer).isEnabled()
    with qtbot.wait_signal(composer.sig_send_requested) as blocker:
        qtbot.mouseClick(send_button(composer), Qt.MouseButton.LeftButton)
    assert blocker.args == ["via the button", []]
    assert composer.text() == ""


def test_placeholder_and_accessible_names(composer: Composer) -> None:
    assert text_input(composer).placeholderText() == PLACEHOLDER
    attach = composer.findChild(QToolButton, "composer_attach")
    assert attach is not None
    for control in (text_input(composer), send_button(composer), attach):
        assert control.accessibleName()
    for control in (send_button(composer), attach):
        assert control.toolTip()


# -- busy ---------------------------------------------------------------------------------


def test_busy_enter_keeps_the_text_and_the_button_stops(qtbot: QtBot,
                                                         composer: Composer) -> None:
    composer.set_busy(True)
    assert composer.is_busy()
    button = send_button(composer)
    assert button.text() == "Stop"
    assert button.isEnabled()
    type_text(qtbot, composer, "next question")
    with qtbot.assert_not_emitted(composer.sig_send_requested):
        press(qtbot, composer, Qt.Key.Key_Return)
    assert composer.text() == "next question"
    with qtbot.wait_signal(composer.sig_stop_requested):
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    composer.set_busy(False)
    assert button.text() == "Send"
    with qtbot.wait_signal(composer.sig_send_requested) as blocker:
        press(qtbot, composer, Qt.Key.Key_Return)
    assert blocker.args == ["next question", []]


def test_esc_stops_only_while_busy(qtbot: QtBot, composer: Composer) -> None:
    with qtbot.assert_not_emitted(composer.sig_stop_requested):
        press(qtbot, composer, Qt.Key.Key_Escape)
    composer.set_busy(True)
    with qtbot.wait_signal(composer.sig_stop_requested):
        press(qtbot, composer, Qt.Key.Key_Escape)
    # From the Stop button too, not only from the text.
    with qtbot.wait_signal(composer.sig_stop_requested):
        qtbot.keyClick(send_button(composer), Qt.Key.Key_Escape)


# -- Up to edit the last message ----------------------------------------------------------


def test_up_in_an_empty_composer_asks_to_edit_the_last_message(qtbot: QtBot,
                                                               composer: Composer) -> None:
    with qtbot.wait_signal(composer.sig_edit_last_requested):
        press(qtbot, composer, Qt.Key.Key_Up)


def test_up_with_text_only_moves_the_cursor(qtbot: QtBot, composer: Composer) -> None:
    composer.set_text("line one\nline two")
    editor = text_input(composer)
    assert editor.textCursor().blockNumber() == 1
    with qtbot.assert_not_emitted(composer.sig_edit_last_requested):
        press(qtbot, composer, Qt.Key.Key_Up)
    assert editor.textCursor().blockNumber() == 0
    assert composer.text() == "line one\nline two"


def test_up_with_only_an_image_does_not_replace_it(qtbot: QtBot, composer: Composer,
                                                   tmp_path: Path) -> None:
    composer.attach_files([str(make_png(tmp_path))])
    with qtbot.assert_not_emitted(composer.sig_edit_last_requested):
        press(qtbot, composer, Qt.Key.Key_Up)


def test_set_text_puts_the_cursor_at_the_end(composer: Composer) -> None:
    composer.set_text("fix this typo")
    editor = text_input(composer)
    assert composer.text() == "fix this typo"
    assert editor.textCursor().position() == len("fix this typo")


# -- growing with the text ----------------------------------------------------------------


def test_input_grows_to_eight_lines_then_scrolls(composer: Composer) -> None:
    editor = text_input(composer)
    one_line = editor.height()
    composer.set_text("a\nb\nc")
    three_lines = editor.height()
    assert three_lines > one_line
    # Every line in sight: none scrolled away under the top edge.
    assert editor.verticalScrollBar().maximum() == 0
    composer.set_text("\n".join(str(n) for n in range(MAX_LINES)))
    eight_lines = editor.height()
    assert eight_lines > three_lines
    assert editor.verticalScrollBar().maximum() == 0
    composer.set_text("\n".join(str(n) for n in range(40)))
    assert editor.height() == eight_lines
    assert editor.verticalScrollBar().maximum() > 0
    composer.clear()
    assert editor.height() == one_line


def test_a_long_line_wraps_and_grows_the_input(composer: Composer) -> None:
    editor = text_input(composer)
    one_line = editor.height()
    composer.set_text("word " * 80)
    assert editor.height() > one_line
    assert editor.verticalScrollBar().maximum() == 0


# -- attaching files ----------------------------------------------------------------------


def test_attached_png_is_shown_and_sent_byte_for_byte(qtbot: QtBot, composer: Composer,
                                                      tmp_path: Path) -> None:
    path = make_png(tmp_path)
    composer.attach_files([str(path)])
    assert thumbnails_shown(composer)
    assert [b.accessibleName() for b in remove_buttons(composer)] == ["Remove image 1"]
    assert error_text(composer) == ""
    expected = ImagePart("image/png", path.read_bytes())
    assert composer.images() == [expected]
    # An image alone is worth sending.
    with qtbot.wait_signal(composer.sig_send_requested) as blocker:
        press(qtbot, composer, Qt.Key.Key_Return)
    assert blocker.args == ["", [expected]]
    assert blocker.args[1][0].data == path.read_bytes()
    assert composer.images() == []
    assert not thumbnails_shown(composer)
    assert remove_buttons(composer) == []


def test_thumbnail_tooltip_names_the_file_and_size(composer: Composer, tmp_path: Path) -> None:
    path = make_png(tmp_path, "cat <1>.png")
    composer.attach_files([str(path)])
    (button,) = remove_buttons(composer)
    thumbnail = button.parentWidget()
    assert thumbnail is not None
    tooltip = thumbnail.toolTip()
    assert "cat &lt;1&gt;.png" in tooltip  # escaped: a file name is never markup
    assert format_bytes(path.stat().st_size) in tooltip


def test_text_file_named_png_is_refused_inline(composer: Composer, tmp_path: Path) -> None:
    fake = tmp_path / "notes.png"
    fake.write_text("just some notes, not a picture")
    composer.attach_files([str(fake)])
    assert composer.images() == []
    assert not thumbnails_shown(composer)
    assert error_text(composer) == "notes.png is not an image (it holds text)"


def test_text_file_is_refused_and_the_error_clears_on_success(composer: Composer,
                                                              tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("hello")
    composer.attach_files([str(notes)])
    assert error_text(composer) == "notes.txt is not an image (it holds text)"
    composer.attach_files([str(make_png(tmp_path))])
    assert error_text(composer) == ""
    assert len(composer.images()) == 1


def test_damaged_image_is_refused(composer: Composer, tmp_path: Path) -> None:
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)  # a PNG that stops after its header
    composer.attach_files([str(broken)])
    assert composer.images() == []
    assert error_text(composer) == (
        "broken.png could not be read as an image; the file may be damaged")


def test_oversize_image_is_refused(monkeypatch: pytest.MonkeyPatch, composer: Composer,
                                   tmp_path: Path) -> None:
    path = make_png(tmp_path, "big.png", width=200, height=200)
    monkeypatch.setattr(image_attachment, "MAX_IMAGE_BYTES", 100)
    composer.attach_files([str(path)])
    assert composer.images() == []
    size = format_bytes(path.stat().st_size, round_up=True)
    assert error_text(composer) == f"big.png is {size}; the limit is 100 bytes"


def test_a_mixed_drop_keeps_the_good_files(composer: Composer, tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("hello")
    good = make_png(tmp_path)
    composer.attach_files([str(notes), str(good), str(tmp_path / "gone.png")])
    assert composer.images() == [ImagePart("image/png", good.read_bytes())]
    assert error_text(composer).splitlines() == [
        "notes.txt is not an image (it holds text)",
        "gone.png does not exist",
    ]


def test_a_pipe_or_a_device_dropped_is_refused_inline_without_blocking(composer: Composer,
                                                                       tmp_path: Path) -> None:
    # Before the shared reader, opening the pipe froze the window until something wrote to
    # it, and a link to /dev/zero named .png was read up to the limit.
    fifo = tmp_path / "camera.png"
    os.mkfifo(fifo)
    endless = tmp_path / "zero.png"
    endless.symlink_to("/dev/zero")
    good = make_png(tmp_path)
    composer.attach_files([str(fifo), str(endless), str(good)])
    assert composer.images() == [ImagePart("image/png", good.read_bytes())]
    assert error_text(composer).splitlines() == [
        "camera.png is a named pipe, not a file",
        "zero.png is a device, not a file",
    ]


def test_no_more_than_the_image_limit(monkeypatch: pytest.MonkeyPatch, composer: Composer,
                                      tmp_path: Path) -> None:
    monkeypatch.setattr(image_attachment, "MAX_IMAGES", 2)
    paths = [str(make_png(tmp_path, f"p{n}.png")) for n in range(3)]
    composer.attach_files(paths)
    assert len(composer.images()) == 2
    assert error_text(composer) == "p2.png was not added: a message can carry at most 2 images"


def test_remove_button_removes_that_image(qtbot: QtBot, composer: Composer,
                                          tmp_path: Path) -> None:
    first = make_png(tmp_path, "first.png", "#ff0000")
    second = make_png(tmp_path, "second.png", "#00ff00")
    composer.attach_files([str(first), str(second)])
    buttons = remove_buttons(composer)
    assert [b.accessibleName() for b in buttons] == ["Remove image 1", "Remove image 2"]
    qtbot.mouseClick(buttons[0], Qt.MouseButton.LeftButton)
    assert composer.images() == [ImagePart("image/png", second.read_bytes())]
    assert [b.accessibleName() for b in remove_buttons(composer)] == ["Remove image 1"]
    remove_buttons(composer)[0].click()
    assert composer.images() == []
    assert not thumbnails_shown(composer)


def test_clear_drops_text_images_and_error(composer: Composer, tmp_path: Path) -> None:
    composer.set_text("draft")
    composer.attach_files([str(make_png(tmp_path)), str(tmp_path / "missing.gif")])
    assert error_text(composer)
    composer.clear()
    assert (composer.text(), composer.images(), error_text(composer)) == ("", [], "")


# -- paste and drop -----------------------------------------------------------------------


def _decode(part: ImagePart) -> QImage:
    image = QImage()
    assert image.loadFromData(part.data)
    return image


def test_pasted_image_becomes_a_png(composer: Composer) -> None:
    pixels = QImage(24, 16, QImage.Format.Format_RGB32)
    pixels.fill(QColor("#10a050"))
    mime = QMimeData()
    mime.setImageData(pixels)
    QApplication.clipboard().setMimeData(mime)
    text_input(composer).paste()
    (part,) = composer.images()
    assert part.mime == "image/png"
    assert part.data.startswith(b"\x89PNG\r\n\x1a\n")
    decoded = _decode(part)
    assert (decoded.width(), decoded.height()) == (24, 16)
    assert decoded.pixelColor(3, 3) == QColor("#10a050")
    assert composer.text() == ""
    assert thumbnails_shown(composer)


def test_pasted_text_is_text(composer: Composer) -> None:
    mime = QMimeData()
    mime.setText("pasted words")
    QApplication.clipboard().setMimeData(mime)
    text_input(composer).paste()
    assert composer.text() == "pasted words"
    assert composer.images() == []


def test_pasted_file_urls_attach_the_files(composer: Composer, tmp_path: Path) -> None:
    path = make_png(tmp_path)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    QApplication.clipboard().setMimeData(mime)
    text_input(composer).paste()
    assert composer.images() == [ImagePart("image/png", path.read_bytes())]
    assert composer.text() == ""


def _drop(target: QWidget, mime: QMimeData) -> QDropEvent:
    # Straight to the handler: Qt delivers a Drop only to the target of a real drag in
    # progress, which a test cannot start.
    enter = QDragEnterEvent(QPoint(10, 10), Qt.DropAction.CopyAction, mime,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    enter.ignore()
    target.dragEnterEvent(enter)
    drop = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime,
                      Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    drop.setAccepted(False)
    if enter.isAccepted():
        target.dropEvent(drop)
    return drop


def _file_urls(*paths: Path) -> QMimeData:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path)) for path in paths])
    return mime


def test_dropped_file_urls_attach(composer: Composer, tmp_path: Path) -> None:
    first = make_png(tmp_path, "a.png")
    second = make_png(tmp_path, "b.png", "#000000")
    event = _drop(composer, _file_urls(first, second))
    assert event.isAccepted()
    assert composer.images() == [ImagePart("image/png", first.read_bytes()),
                                 ImagePart("image/png", second.read_bytes())]
    assert len(remove_buttons(composer)) == 2


def test_files_dropped_on_the_text_attach_and_leave_the_text(composer: Composer,
                                                             tmp_path: Path) -> None:
    composer.set_text("what is in this picture?")
    path = make_png(tmp_path)
    _drop(text_input(composer), _file_urls(path))
    assert composer.images() == [ImagePart("image/png", path.read_bytes())]
    assert composer.text() == "what is in this picture?"


def test_dropping_a_non_image_shows_the_error(composer: Composer, tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("hello")
    _drop(composer, _file_urls(notes))
    assert composer.images() == []
    assert error_text(composer) == "notes.txt is not an image (it holds text)"


def test_plain_text_is_not_dropped_on_the_frame(composer: Composer) -> None:
    mime = QMimeData()
    mime.setText("words")
    event = _drop(composer, mime)
    assert not event.isAccepted()
    assert composer.images() == []


# -- image_attachment ---------------------------------------------------------------------


@pytest.mark.parametrize(("head", "mime"), [
    (b"\x89PNG\r\n\x1a\n\0\0\0\r", "image/png"),
    (b"\xff\xd8\xff\xe0\0\x10JFIF\0", "image/jpeg"),
    (b"GIF89a\x01\0\x01\0\0\0", "image/gif"),
    (b"GIF87a\x01\0\x01\0\0\0", "image/gif"),
    (b"RIFF\x24\0\0\0WEBPVP8 ", "image/webp"),
    (b"RIFF\x24\0\0\0WAVEfmt ", None),
    (b"%PDF-1.7\n", None),
    (b"", None),
])
def test_sniffing_reads_the_magic_number(head: bytes, mime: str | None) -> None:
    assert sniff_image_mime(head) == mime


def test_jpeg_is_detected_whatever_its_name(tmp_path: Path) -> None:
    image = QImage(8, 8, QImage.Format.Format_RGB32)
    image.fill(QColor("#808080"))
    path = tmp_path / "actually-a-jpeg.png"
    assert image.save(str(path), "JPEG")
    attachment = image_attachment.read_image_file(path)
    assert attachment.part.mime == "image/jpeg"
    assert attachment.name == "actually-a-jpeg.png"


def test_a_folder_is_not_an_image(tmp_path: Path) -> None:
    folder = tmp_path / "holiday"
    folder.mkdir()
    with pytest.raises(AttachmentError, match="^holiday is a folder, not a file$"):
        image_attachment.read_image_file(folder)


def test_the_limit_reads_in_the_units_sizes_are_shown_in() -> None:
    # tests/unit/core/test_byte_size.py covers the wording; this is the limit's.
    assert format_bytes(image_attachment.MAX_IMAGE_BYTES) == "20.0 MB"


def test_pasting_a_null_image_is_refused() -> None:
    with pytest.raises(AttachmentError, match="could not be read"):
        image_attachment.attachment_from_qimage(QImage())


def test_pasted_png_bytes_round_trip() -> None:
    pixels = QImage(4, 4, QImage.Format.Format_ARGB32)
    pixels.fill(QColor(0, 0, 255, 128))
    attachment = image_attachment.attachment_from_qimage(pixels)
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    pixels.save(buffer, "PNG")  # type: ignore[call-overload]
    assert attachment.part == ImagePart("image/png", bytes(buffer.data().data()))
    assert attachment.name == "Pasted image"
