"""The router editor: routers on the left, the chosen router's rules and forms in the
middle, a live test panel on the right.

The window holds one ``RouterDraft`` (the router's JSON) and a QUndoStack of snapshots.
Every form edit becomes a new snapshot; the core's ``parse_router`` judges it, and its
error is shown next to the field it names. Save is enabled only for a valid, changed
router, and it writes through the controller's catalog.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import shiboken6
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence, QUndoStack
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.controller.route_preview import RoutePreview
from app.controller.session import Session
from app.core.router import Router, RouterFormatError
from app.ui.inline_message import InlineMessage
from app.ui.router_editor.edit_command import EditCommand
from app.ui.router_editor.router_draft import RouterDraft, rule_error_at
from app.ui.router_editor.router_list import RouterList
from app.ui.router_editor.router_settings_form import RouterSettingsForm
from app.ui.router_editor.rule_form import RuleForm
from app.ui.router_editor.rule_list import RuleList
from app.ui.router_editor.test_panel import TestPanel
from app.ui.tool_window import ToolWindow

SETTINGS_PAGE, RULE_PAGE, BROKEN_PAGE = 0, 1, 2
RULES_EXPLAINED = ("Rules with conditions are checked from the top down, and the first that "
                   "matches decides. If none does, the plain-English rules are weighed "
                   "together; if none of those fits either, the router's fallback list answers.")


class RouterEditorWindow(ToolWindow):
    sig_routers_changed = Signal()  # saved, renamed, deleted, new default
    sig_saved = Signal(str)  # the name a router was saved under
    sig_use = Signal(str)  # "use this router in the current chat"

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Router editor")
        self.setAcceptDrops(True)
        self.resize(1360, 820)
        self.session = session
        self.catalog = session.routers
        self.draft: RouterDraft | None = None
        self.router: Router | None = None  # the draft when it validates
        self.undo_stack = QUndoStack(self)
        self._rule_index = -1  # the rule in the form; -1: the router's settings
        self._pending_import: Router | None = None
        self._error: RouterFormatError | None = None  # the draft's first problem
        targets = self.catalog.target_choices()

        self.routers = RouterList()
        self.routers.set_templates(self.catalog.templates())
        self.routers.sig_open.connect(self._on_router_picked)
        self.routers.sig_new_blank.connect(lambda: self._create(self.catalog.blank()))
        self.routers.sig_new_from.connect(self._new_from_template)
        self.routers.sig_command.connect(self._on_command)

        self.heading = QLabel()
        self.heading.setTextFormat(Qt.TextFormat.PlainText)
        self.heading.setWordWrap(True)
        self.settings_button = QPushButton("Router settings")
        self.settings_button.setCheckable(True)
        self.settings_button.setAccessibleName("Router settings")
        self.settings_button.clicked.connect(lambda: self._show_rule(-1))
        self.rules = RuleList()
        self.rules.sig_selected.connect(self._on_rule_selected)
        self.rules.sig_reordered.connect(self._reorder)
        self.rules.sig_toggled.connect(self._toggle)
        self.rules.sig_add.connect(self._add_rule)
        self.rules.sig_remove.connect(self._remove_rule)
        rules_column = QWidget()
        rules_layout = QVBoxLayout(rules_column)
        rules_layout.setContentsMargins(0, 0, 0, 0)
        rules_layout.addWidget(self.settings_button)
        self.rules_heading = QLabel("Rules, first match wins:")
        self.rules_heading.setToolTip(RULES_EXPLAINED)
        self.rules_heading.setAccessibleDescription(RULES_EXPLAINED)
        rules_layout.addWidget(self.rules_heading)
        rules_layout.addWidget(self.rules, 1)

        self.settings_form = RouterSettingsForm(targets)
        self.settings_form.sig_changed.connect(self._on_settings_edited)
        self.rule_form = RuleForm(targets)
        self.rule_form.sig_changed.connect(self._on_rule_edited)
        self.broken = InlineMessage("Router file problem")
        broken_page = QWidget()
        broken_layout = QVBoxLayout(broken_page)
        broken_layout.addWidget(self.broken)
        broken_layout.addStretch(1)
        self.pages = QStackedWidget()
        for page in (self.settings_form, self.rule_form, broken_page):
            scroll = QScrollArea()
            scroll.setWidgetResizable(True)
            # Forms wrap and elide to the column's width; sideways scrolling hides fields.
            scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
            scroll.setWidget(page)
            self.pages.addWidget(scroll)

        self.test_panel = TestPanel(RoutePreview(session), session.settings.offline)
        self.test_panel.sig_add_example.connect(self._add_example)

        middle = QSplitter(Qt.Orientation.Horizontal)
        middle.addWidget(rules_column)
        middle.addWidget(self.pages)
        middle.setSizes([280, 540])
        middle.setStretchFactor(1, 1)
        center = QWidget()
        center_layout = QVBoxLayout(center)
        center_layout.setContentsMargins(0, 0, 0, 0)
        center_layout.addWidget(self.heading)
        center_layout.addWidget(middle, 1)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.routers)
        self.splitter.addWidget(center)
        self.splitter.addWidget(self.test_panel)
        self.splitter.setSizes([190, 820, 350])
        self.splitter.setStretchFactor(1, 1)

        self.banner = InlineMessage("Editor message")
        self.banner_buttons = QHBoxLayout()
        self.status = QLabel()
        self.status.setAccessibleName("Save status")
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.undo_button = QPushButton("Undo")
        self.undo_button.clicked.connect(self.undo_stack.undo)
        self.redo_button = QPushButton("Redo")
        self.redo_button.clicked.connect(self.undo_stack.redo)
        self.revert_button = QPushButton("Revert")
        self.revert_button.clicked.connect(self.revert)
        self.save_button = QPushButton("Save")
        self.save_button.setShortcut(QKeySequence.StandardKey.Save)
        self.save_button.clicked.connect(self.save)
        for action, keys in ((self.undo_stack.createUndoAction(self), QKeySequence.StandardKey.Undo),
                             (self.undo_stack.createRedoAction(self), QKeySequence.StandardKey.Redo)):
            action.setShortcut(keys)
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            self.addAction(action)
        self.undo_stack.indexChanged.connect(self._on_undo_index)
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        for button in (self.undo_button, self.redo_button, self.revert_button, self.save_button):
            bottom.addWidget(button)
        banner_row = QHBoxLayout()
        banner_row.addWidget(self.banner, 1)
        banner_row.addLayout(self.banner_buttons)
        layout = QVBoxLayout(self)
        layout.addLayout(banner_row)
        layout.addWidget(self.splitter, 1)
        layout.addLayout(bottom)

        self.refresh_routers(current=None)
        self.open_router(self.catalog.default_name())

    # ---- routers ------------------------------------------------------------------------

    def refresh_routers(self, current: str | None) -> None:
        self.routers.set_entries(self.catalog.entries(), self.catalog.default_name(), current)

    def open_router(self, name: str) -> bool:
        """Show ``name`` in the editor (asks about unsaved changes first)."""
        if not self._may_leave():
            self.routers.select(self.draft.opened_as if self.draft else None)
            return False
        self.undo_stack.clear()
        self.hide_banner()
        entry = self.routers.entry(name)
        if entry is not None and entry.problem is not None:
            self.draft, self.router = None, None
            self.broken.set_message(f"This router file cannot be opened: {entry.problem}. "
                                    "Fix it in a text editor, or delete it from the More menu.", "error")
            self.pages.setCurrentIndex(BROKEN_PAGE)
            self.heading.setText(name)
            self.rules.set_rules([])
            self.test_panel.set_router(None, entry.problem)
            self.routers.select(name)
            self._update_buttons()
            return True
        try:
            router = self.catalog.load(name)
        except RouterFormatError as exc:
            self.show_banner(f"“{name}” cannot be opened: {exc}", "error")
            return False
        self._edit(RouterDraft.of(router))
        self.routers.select(name)
        return True

    def _edit(self, draft: RouterDraft) -> None:
        self.draft = draft
        self._refresh_targets()
        self._rule_index = -1
        self.rules.set_rules(draft.rules, select=-1)
        self._show_rule(-1)
        self._validate()

    def _on_router_picked(self, name: str) -> None:
        if self.draft is None or name != self.draft.opened_as:
            self.open_router(name)

    def _new_from_template(self, name: str) -> None:
        template = self.catalog.template(name)
        if template is not None:
            self._create(self.catalog.from_template(template))

    def _create(self, router: Router) -> None:
        """New, duplicate and import: written at once, so the list never holds a router
        that exists only in the editor."""
        if not self._may_leave():
            return
        self.catalog.save(router)
        self.refresh_routers(router.name)
        self.draft = None  # the previous draft was saved or discarded above
        self.open_router(router.name)
        self.sig_routers_changed.emit()

    def _on_command(self, command: str) -> None:
        name = self.routers.current_name()
        if command == "import":
            path, _ = QFileDialog.getOpenFileName(self, "Import router", str(Path.home()),
                                                  "Routers (*.json)")
            if path:
                self.import_file(Path(path))
            return
        if name is None:
            return
        if command == "use":
            self.sig_use.emit(name)
        elif command == "default":
            self.catalog.set_default(name)
            self.refresh_routers(name)
            self.show_banner(f"New chats now use “{name}”.", "ok")
            self.sig_routers_changed.emit()
        elif command == "duplicate" and self.router is not None:
            self._create(self.catalog.duplicate(self.router))
        elif command == "rename":
            self._show_rule(-1)
            self.settings_form.name.setFocus()
            self.settings_form.name.selectAll()
        elif command == "delete":
            self.delete(name)
        elif command == "export" and self.router is not None:
            path, _ = QFileDialog.getSaveFileName(self, "Export router", str(Path.home() / f"{name}.json"),
                                                  "Routers (*.json)")
            if path:
                self.export_to(Path(path))

    def delete(self, name: str) -> None:
        entry = self.routers.entry(name)
        if entry is None or entry.path is None:
            return
        reset = entry.origin == "changed template"
        question = (f"Reset “{name}” to the built-in template? Your changes to it are lost."
                    if reset else f"Delete the router “{name}”? Chats that use it go back to the default router.")
        if not self._confirm(question):
            return
        self.catalog.delete(name)
        if self.draft is not None and self.draft.opened_as == name:
            self.draft = None  # gone: nothing to ask about
        self.refresh_routers(name if reset else None)
        self.open_router(name if reset else self.catalog.default_name())
        self.sig_routers_changed.emit()

    # ---- sharing ------------------------------------------------------------------------

    def import_file(self, path: Path) -> None:
        """Read a shared router; a broken file changes nothing, a name already taken asks."""
        try:
            router = self.catalog.read_import(path)
        except RouterFormatError as exc:
            self.show_banner(f"Nothing was imported. {exc}", "error")
            return
        if router.name.casefold() not in {n.casefold() for n in self.catalog.names()}:
            self._create(router)
            self.show_banner(f"Imported “{router.name}” from {path.name}.", "ok")
            return
        self._pending_import = router
        self.show_banner(f"A router called “{router.name}” already exists. Replace it with the "
                         f"one in {path.name}, or keep both?", "warning",
                         {"Replace": self._import_replace, "Keep both": self._import_both,
                          "Cancel": self.hide_banner})

    def _import_replace(self) -> None:
        router, self._pending_import = self._pending_import, None
        if router is None:
            return
        existing = next(n for n in self.catalog.names() if n.casefold() == router.name.casefold())
        if not self._may_leave():
            return
        self.catalog.save(router, previous_name=existing)
        self.draft = None
        self.refresh_routers(router.name)
        self.open_router(router.name)
        self.show_banner(f"Replaced “{router.name}”.", "ok")
        self.sig_routers_changed.emit()

    def _import_both(self) -> None:
        router, self._pending_import = self._pending_import, None
        if router is not None:
            self._create(self.catalog.from_template(router))  # takes a free name: "X (2)"
            self.show_banner(f"Imported as “{self.draft.opened_as if self.draft else router.name}”.", "ok")

    def export_to(self, path: Path) -> None:
        if self.router is None:
            return
        try:
            self.catalog.export(self.router, path)
        except OSError as exc:
            self.show_banner(f"Could not write {path}: {exc.strerror or exc}", "error")
            return
        self.show_banner(f"Exported “{self.router.name}” to {path}.", "ok")

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if _json_paths(event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = _json_paths(event.mimeData().urls())
        if paths:
            event.acceptProposedAction()
            self.import_file(paths[0])

    # ---- editing ------------------------------------------------------------------------

    def _push(self, text: str, after: dict[str, Any], merge_key: str | None = None) -> None:
        assert self.draft is not None
        self.undo_stack.push(EditCommand(text, self.draft.data, after, self._apply, merge_key))

    def _apply(self, data: dict[str, Any], refresh: bool) -> None:
        assert self.draft is not None
        self.draft.data = copy.deepcopy(data)
        if refresh:
            index = min(self._rule_index, len(self.draft.rules) - 1)
            self.rules.set_rules(self.draft.rules, select=index)
            self._show_rule(index)
        elif 0 <= self._rule_index < len(self.draft.rules):
            self.rules.update_rule(self._rule_index, self.draft.rules[self._rule_index])
        self._validate()

    def _edited(self) -> dict[str, Any]:
        assert self.draft is not None
        return copy.deepcopy(self.draft.data)

    def _on_settings_edited(self) -> None:
        if self.draft is None:
            return
        after = self.settings_form.value()
        after["rules"] = copy.deepcopy(self.draft.rules)
        self._push("Edit router settings", after, "settings")

    def _on_rule_edited(self) -> None:
        if self.draft is None or not 0 <= self._rule_index < len(self.draft.rules):
            return
        after = self._edited()
        after["rules"][self._rule_index] = self.rule_form.value()
        self._push("Edit rule", after, f"rule:{self._rule_index}")

    def _add_rule(self, kind: str) -> None:
        if self.draft is None:
            return
        after = self._edited()
        title = "New plain-English rule" if kind == "classified" else "New rule"
        rule: dict[str, Any] = {"id": self.draft.unique_rule_id(title, None), "title": title}
        if kind == "classified":
            rule |= {"type": "classified", "description": ""}
        fallback = self.draft.data.get("fallback") or [""]
        rule["route_to"] = fallback[0] if isinstance(fallback, list) and fallback else ""
        after["rules"].append(rule)
        self._rule_index = len(after["rules"]) - 1
        self._push("Add rule", after)
        self.rules.set_rules(self.draft.rules, select=self._rule_index)
        self._show_rule(self._rule_index)
        self.rule_form.title.setFocus()
        self.rule_form.title.selectAll()

    def _remove_rule(self, index: int) -> None:
        if self.draft is None or not 0 <= index < len(self.draft.rules):
            return
        after = self._edited()
        del after["rules"][index]
        self._rule_index = min(index, len(after["rules"]) - 1)
        self._push("Delete rule", after)
        self.rules.set_rules(self.draft.rules, select=self._rule_index)
        self._show_rule(self._rule_index)

    def _reorder(self, order: list[int]) -> None:
        if self.draft is None or sorted(order) != list(range(len(self.draft.rules))):
            return
        after = self._edited()
        after["rules"] = [copy.deepcopy(self.draft.rules[i]) for i in order]
        if self._rule_index in order:
            self._rule_index = order.index(self._rule_index)
        self._push("Move rule", after)
        self.rules.set_rules(self.draft.rules, select=self._rule_index)
        self._show_rule(self._rule_index)

    def _toggle(self, index: int, enabled: bool) -> None:
        if self.draft is None or not 0 <= index < len(self.draft.rules):
            return
        after = self._edited()
        if enabled:
            after["rules"][index].pop("enabled", None)
        else:
            after["rules"][index]["enabled"] = False
        self._push("Enable rule" if enabled else "Disable rule", after)
        if index == self._rule_index:
            self._show_rule(index)

    def _add_example(self, rule_id: str, message: str) -> None:
        if self.draft is None:
            return
        after = self._edited()
        rule = next((r for r in after["rules"] if r.get("id") == rule_id), None)
        if rule is None or not message.strip():
            return
        examples = rule.setdefault("examples", [])
        if message.strip() not in examples:
            examples.append(message.strip())
        self._push("Add example", after)
        self._show_rule(self._rule_index)
        self.show_banner(f"Added the message as an example of “{rule.get('title') or rule_id}”.", "ok")

    # ---- showing ------------------------------------------------------------------------

    def _on_rule_selected(self, index: int) -> None:
        if index != self._rule_index and index >= 0:
            self._show_rule(index)

    def _show_rule(self, index: int) -> None:
        """The form for rule ``index``, or the router's settings for -1."""
        if self.draft is None:
            return
        self._rule_index = index
        self.settings_button.setChecked(index < 0)
        if index < 0:
            self.rules.list.clearSelection()
            self.rules.list.setCurrentRow(-1)
            self.settings_form.set_router(self.draft.data)
            self.pages.setCurrentIndex(SETTINGS_PAGE)
        else:
            rule = self.draft.rules[index]
            saved_ids = {r.get("id") for r in self.draft.saved_data.get("rules", [])}
            self.rule_form.set_rule(rule,
                                    lambda wanted: self.draft.unique_rule_id(wanted, index) if self.draft else wanted,
                                    saved=rule.get("id") in saved_ids)
            self.pages.setCurrentIndex(RULE_PAGE)
        self._show_error()

    def _refresh_targets(self) -> None:
        router = self.router
        targets = self.catalog.target_choices(router)
        self.settings_form.set_targets(targets)
        self.rule_form.set_targets(targets)

    def _validate(self) -> None:
        assert self.draft is not None
        draft = self.draft
        result = draft.validate(lambda name: self.catalog.name_problem(name, draft.opened_as))
        self._error = result if isinstance(result, RouterFormatError) else None
        self.router = result if isinstance(result, Router) else None
        self.rules.mark_problem(*self._error_rule())
        self._show_error()
        self.test_panel.set_router(self.router, str(self._error) if self._error else None)
        name = str(draft.data.get("name") or draft.opened_as or "")
        self.routers.show_name(draft.opened_as, name)  # the list follows the name as it is typed
        entry = self.routers.entry(draft.opened_as)
        note = " — built-in template: saving keeps your changed copy" if entry and entry.origin == "template" else ""
        self.heading.setText(f"{name}{note}")
        self._update_buttons()

    def _error_rule(self) -> tuple[int | None, str | None]:
        if self._error is None:
            return None, None
        index, _ = rule_error_at(self._error.path)
        return index, self._error.problem

    def _show_error(self) -> None:
        error = self._error
        self.settings_form.clear_errors()
        self.rule_form.clear_errors()
        if error is None:
            return
        index, rest = rule_error_at(error.path)
        if index is None and self._rule_index < 0:
            self.settings_form.show_error(error.path, error.problem)
        elif index is not None and index == self._rule_index:
            self.rule_form.show_error(rest, error.problem)

    def _on_undo_index(self) -> None:
        # QUndoStack clears itself, signalling, while the window is torn down.
        if shiboken6.isValid(self.undo_stack):
            self._update_buttons()

    def _update_buttons(self) -> None:
        draft = self.draft
        dirty = draft is not None and draft.dirty
        valid = self.router is not None
        self.save_button.setEnabled(dirty and valid)
        self.revert_button.setEnabled(dirty)
        self.undo_button.setEnabled(self.undo_stack.canUndo())
        self.redo_button.setEnabled(self.undo_stack.canRedo())
        error = self._error
        if draft is None:
            self.status.setText("")
        elif error is not None:
            where = _where(error.path, draft.rules)
            self.status.setText(f"Cannot save yet: {where}{error.problem}")
        else:
            self.status.setText("Unsaved changes" if dirty else "Saved")

    def show_banner(self, text: str, tone: Any, actions: dict[str, Any] | None = None) -> None:
        self.hide_banner()
        self.banner.set_message(text, tone)
        for label, slot in (actions or {}).items():
            button = QPushButton(label)
            button.clicked.connect(slot)
            self.banner_buttons.addWidget(button)

    def hide_banner(self) -> None:
        self.banner.set_message("")
        while self.banner_buttons.count():
            item = self.banner_buttons.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()

    # ---- saving -------------------------------------------------------------------------

    def save(self) -> bool:
        if self.draft is None or self.router is None:
            return False
        previous = self.draft.opened_as
        try:
            self.catalog.save(self.router, previous_name=previous)
        except (RouterFormatError, OSError) as exc:
            self.show_banner(f"Not saved: {exc}", "error")
            return False
        self.draft.mark_saved(self.router)
        self.refresh_routers(self.router.name)
        self._validate()
        self.sig_routers_changed.emit()
        self.sig_saved.emit(self.draft.opened_as or "")
        return True

    def revert(self) -> None:
        if self.draft is None:
            return
        self._push("Revert", self.draft.saved_data)  # undoable, like any edit
        self._apply(self.draft.data, True)

    def _may_leave(self) -> bool:
        """True when there is nothing unsaved, or the user saved or discarded it."""
        if self.draft is None or not self.draft.dirty:
            return True
        answer = self._ask_unsaved()
        if answer == "save":
            return self.save()
        return answer == "discard"

    def _ask_unsaved(self) -> str:
        box = QMessageBox(QMessageBox.Icon.Question, "Unsaved changes",
                          f"Save the changes to “{self.draft.opened_as if self.draft else ''}”?",
                          QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                          | QMessageBox.StandardButton.Cancel, self)
        if self.router is None:
            box.button(QMessageBox.StandardButton.Save).setEnabled(False)
            box.setInformativeText("The router has a problem, so it cannot be saved as it is.")
        answer = box.exec()
        return {QMessageBox.StandardButton.Save: "save",
                QMessageBox.StandardButton.Discard: "discard"}.get(QMessageBox.StandardButton(answer), "cancel")

    def _confirm(self, question: str) -> bool:
        answer = QMessageBox.question(self, "Router editor", question)
        return answer == QMessageBox.StandardButton.Yes

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._may_leave():
            if self.draft is not None and self.draft.dirty:
                self.draft.revert()  # discarded: reopening shows the saved router
                self._edit(self.draft)
            event.accept()
        else:
            event.ignore()

    def reject(self) -> None:  # Esc goes through close, so unsaved changes are asked about
        self.close()


def _json_paths(urls: list[Any]) -> list[Path]:
    return [Path(u.toLocalFile()) for u in urls if u.isLocalFile() and u.toLocalFile().lower().endswith(".json")]


def _where(path: str, rules: list[dict[str, Any]]) -> str:
    index, rest = rule_error_at(path)
    if index is None:
        return f"{path}: " if path else ""
    rule = rules[index] if index < len(rules) else {}
    label = rule.get("title") or rule.get("id") or f"rule {index + 1}"
    return f"rule “{label}”{', ' + rest if rest else ''}: "

