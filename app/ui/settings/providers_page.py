"""Settings → Providers: add, edit, test and remove cloud or local OpenAI-compatible servers.

The page only shows state and forwards intent to ``ProviderSetup`` (which owns the
provider-ID rule too); every network or keyring call runs on the page's ``TaskRunner``,
so the window stays responsive while a server is slow to answer, and a test or model
list still running for the provider shown before is cancelled when another is shown. A key typed here goes to ``setup.save`` and is then
cleared from the widget: the field is never filled with a stored key, it only says one
is there.

Layout::

    ┌───────────────┬──────────────────────────────────────────────┐
    │ OpenAI        │ ID           [openai            ]            │
    │  key stored   │ Kind         OpenAI-compatible               │
    │ My server     │ Base URL     [https://…         ]            │
    │  no key needed│              [x] Needs an API key            │
    │               │ API key      [•••••••••••] [Reveal]          │
    │               │ Models       [Load models]                   │
    │               │              2 models found: tick the ones…  │
    │               │              [x] m1  [ ] m2                  │
    │               │ Default model[m2 ▾]                          │
    │               │ [Test connection]                            │
    │               │ OK, 2 models                                 │
    │ [Add ▾][Remove]│                          [Revert] [Save]    │
    ├───────────────┴──────────────────────────────────────────────┤
    │ Keys are kept in the system keyring (SecretService Keyring). │
    └──────────────────────────────────────────────────────────────┘
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QRegularExpression, Qt, QUrl, Signal
from PySide6.QtGui import QPalette, QRegularExpressionValidator
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QMessageBox,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.controller.provider_setup import CUSTOM, ModelList, ProviderSaved, ProviderSetup
from app.core.providers.base import Health
from app.core.providers.config import ProviderConfig
from app.core.settings import ProviderSettings
from app.ui import theme
from app.ui.chat.error_actions import provider_label  # preset label, else the id
from app.ui.error_presenter import show_error_in
from app.ui.inline_message import InlineMessage
from app.ui.task_runner import TaskRunner

CUSTOM_LABEL = "Custom OpenAI-compatible…"
KEY_STORED = "Stored in the keyring — type to replace"
KEY_SESSION = "Kept for this session — type to replace"
KEY_NOT_NEEDED = "Not needed for this server"
KEY_EMPTY = "Paste the API key"
NO_DEFAULT = "(none)"

_KIND_WORDS = {"openai": "OpenAI-compatible", "anthropic": "Anthropic", "gemini": "Google Gemini"}
def _muted(label: QLabel) -> QLabel:
    theme.set_foreground(label, theme.muted_text(label.palette()))
    return label


class _ProviderRow(QWidget):
    """One entry of the list: the provider's name, and under it whether it has a key."""

    def __init__(self, title: str, subtitle: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.setSpacing(0)
        self.title = QLabel(title)
        self.subtitle = _muted(QLabel(subtitle))
        font = self.subtitle.font()
        font.setPointSizeF(font.pointSizeF() * 0.9)
        self.subtitle.setFont(font)
        layout.addWidget(self.title)
        layout.addWidget(self.subtitle)

    def set_selected(self, selected: bool) -> None:
        """Follow the list's highlight: muted grey would vanish on the selection colour."""
        palette = self.palette()
        if selected:
            text = palette.color(QPalette.ColorRole.HighlightedText)
            theme.set_foreground(self.title, text)
            theme.set_foreground(self.subtitle, theme.mix(
                text, palette.color(QPalette.ColorRole.Highlight), 0.25))
        else:
            self.title.setPalette(QPalette())
            theme.set_foreground(self.subtitle, theme.muted_text(palette))


class ProvidersPage(QWidget):
    sig_changed = Signal()
    """A provider was saved or removed: session settings and registry are already new."""

    def __init__(self, setup: ProviderSetup, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._setup = setup
        self._saved: list[ProviderSettings] = []
        self._draft: ProviderSettings | None = None  # a provider added but not yet saved
        self._current: ProviderSettings | None = None  # what the form was filled from
        self._filling = False  # the form is being filled in code, not edited
        self._new = False  # the form shows ``_draft``: its ID may still change
        # Keys "test", "models" (of the provider shown), "save", "remove".
        self._runner = TaskRunner(self)
        self._runner.sig_busy_changed.connect(lambda _key, _busy: self._update_buttons())
        self.setAccessibleName("Providers")

        # -- left: the list and its buttons -----------------------------------------------
        self.provider_list = QListWidget()
        self.provider_list.setObjectName("providers_list")
        self.provider_list.setAccessibleName("Providers")
        self.provider_list.setToolTip("The cloud and local servers Switchboard can send messages to")
        self.provider_list.currentRowChanged.connect(self._on_row_changed)

        self.add_button = QToolButton()
        self.add_button.setText("Add")
        self.add_button.setObjectName("providers_add")
        self.add_button.setAccessibleName("Add provider")
        self.add_button.setToolTip("Add a provider from a preset, or any OpenAI-compatible server")
        self.add_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.add_menu = QMenu(self.add_button)
        self.add_menu.setAccessibleName("Add provider")
        for preset_id, label in setup.presets().items():
            action = self.add_menu.addAction(label)
            action.setData(preset_id)
        self.add_menu.addSeparator()
        action = self.add_menu.addAction(CUSTOM_LABEL)
        action.setData(CUSTOM)
        self.add_menu.triggered.connect(lambda chosen: self.add_provider(str(chosen.data())))
        self.add_button.setMenu(self.add_menu)
        self.add_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)

        self.remove_button = QPushButton("Remove")
        self.remove_button.setObjectName("providers_remove")
        self.remove_button.setAccessibleName("Remove provider")
        self.remove_button.setToolTip("Remove the selected provider and its stored key")
        self.remove_button.clicked.connect(self._on_remove_clicked)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.provider_list, 1)
        # Same height as Remove beside it, and room for the menu arrow after the word.
        hint = self.remove_button.sizeHint()
        self.add_button.setMinimumSize(hint.width(), hint.height())
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        left_layout.addLayout(buttons)

        # -- right: the form ---------------------------------------------------------------
        self.id_edit = QLineEdit()
        self.id_edit.setObjectName("provider_id")
        self.id_edit.setAccessibleName("Provider ID")
        self.id_edit.setToolTip('The name models are addressed by ("id:model"): lower-case '
                                'letters, digits, "-" or "_". Fixed once saved.')
        self.id_edit.setValidator(QRegularExpressionValidator(
            QRegularExpression(r"[a-z0-9][a-z0-9_-]*"), self.id_edit))

        self.kind_label = QLabel()
        self.kind_label.setObjectName("provider_kind")
        self.kind_label.setAccessibleName("Kind of API")
        self.kind_label.setToolTip("Which API this provider speaks")

        self.url_edit = QLineEdit()
        self.url_edit.setObjectName("provider_url")
        self.url_edit.setAccessibleName("Base URL")
        self.url_edit.setToolTip("The address of the API, starting with http:// or https://")
        self.url_edit.setPlaceholderText("https://…/v1")

        self.key_required = QCheckBox("Needs an API key")
        self.key_required.setObjectName("provider_key_required")
        self.key_required.setAccessibleName("Needs an API key")
        self.key_required.setToolTip("Untick for local servers (Ollama, LM Studio, llama.cpp) "
                                     "that answer without a key")

        self.key_edit = QLineEdit()
        self.key_edit.setObjectName("provider_key")
        self.key_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.key_edit.setAccessibleName("API key")
        self.key_edit.setToolTip("Goes to the system keyring, never to the settings file")
        self.reveal_button = QToolButton()
        self.reveal_button.setText("Reveal")
        self.reveal_button.setCheckable(True)
        self.reveal_button.setObjectName("provider_key_reveal")
        self.reveal_button.setAccessibleName("Reveal the typed key")
        self.reveal_button.setToolTip("Show or hide what you typed (a stored key is never shown)")
        self.reveal_button.toggled.connect(self._on_reveal)
        key_row = QHBoxLayout()
        key_row.setContentsMargins(0, 0, 0, 0)
        key_row.addWidget(self.key_edit, 1)
        key_row.addWidget(self.reveal_button)

        self.load_models_button = QPushButton("Load models")
        self.load_models_button.setObjectName("provider_load_models")
        self.load_models_button.setAccessibleName("Load models")
        self.load_models_button.setToolTip("Ask the server which models it offers")
        self.load_models_button.clicked.connect(self._on_load_models)
        self.models_status = InlineMessage()
        self.models_status.setObjectName("provider_models_status")
        self.models_status.setAccessibleName("Model list result")
        self.models_status.hide()
        self.models_list = QListWidget()
        self.models_list.setObjectName("provider_models")
        self.models_list.setAccessibleName("Models to offer")
        self.models_list.setToolTip("Ticked models are offered in the model picker")
        self.models_list.setMinimumHeight(90)
        self.models_list.itemChanged.connect(self._on_form_edited)

        self.default_combo = QComboBox()
        self.default_combo.setObjectName("provider_default_model")
        self.default_combo.setAccessibleName("Default model")
        self.default_combo.setToolTip("The model used when a router names only this provider")
        self.default_combo.currentIndexChanged.connect(self._on_default_changed)

        self.test_button = QPushButton("Test connection")
        self.test_button.setObjectName("provider_test")
        self.test_button.setAccessibleName("Test connection")
        self.test_button.setToolTip("Reach the server with the address and key in this form")
        self.test_button.clicked.connect(self._on_test)
        self.test_result = InlineMessage()
        self.test_result.setObjectName("provider_test_result")
        self.test_result.setAccessibleName("Connection test result")
        self.test_result.hide()
        # Each button keeps its own width (alone in a row it would stretch across the
        # form, then jump back when a result appeared beside it), and its result goes
        # under it, across the form: beside it, a long cause ("…refused. Is the server
        # running…") wrapped in a box a line taller than its text.
        for button in (self.load_models_button, self.test_button):
            button.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)

        self.form_problem = InlineMessage()
        self.form_problem.setObjectName("provider_problem")
        self.form_problem.setAccessibleName("Problem with this provider")
        self.form_problem.hide()

        self.save_status = InlineMessage()
        self.save_status.setObjectName("provider_save_status")
        self.save_status.setAccessibleName("Save result")
        self.save_status.hide()

        self.revert_button = QPushButton("Revert")
        self.revert_button.setObjectName("provider_revert")
        self.revert_button.setAccessibleName("Revert changes")
        self.revert_button.setToolTip("Undo the changes made in this form since the last save")
        self.revert_button.clicked.connect(self.revert)
        self.save_button = QPushButton("Save")
        self.save_button.setObjectName("provider_save")
        self.save_button.setAccessibleName("Save provider")
        self.save_button.setToolTip("Save the provider; a typed key goes to the keyring")
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self._on_save)
        save_row = QHBoxLayout()
        save_row.addStretch(1)
        save_row.addWidget(self.revert_button)
        save_row.addWidget(self.save_button)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow(self._buddy("&ID", self.id_edit), self.id_edit)
        form.addRow(QLabel("Kind"), self.kind_label)
        form.addRow(self._buddy("Base &URL", self.url_edit), self.url_edit)
        form.addRow("", self.key_required)
        form.addRow(self._buddy("API &key", self.key_edit), key_row)
        form.addRow(QLabel("Models"), self.load_models_button)
        form.addRow("", self.models_status)
        form.addRow("", self.models_list)
        form.addRow(self._buddy("&Default model", self.default_combo), self.default_combo)
        form.addRow("", self.test_button)
        form.addRow("", self.test_result)

        editor = QWidget()
        editor_layout = QVBoxLayout(editor)
        editor_layout.setContentsMargins(0, 0, 0, 0)
        editor_layout.addLayout(form)
        editor_layout.addWidget(self.form_problem)
        editor_layout.addWidget(self.save_status)
        editor_layout.addStretch(1)
        editor_layout.addLayout(save_row)

        self.empty_label = _muted(QLabel("No providers yet. Use Add to set up OpenAI, Anthropic, "
                                         "a local Ollama or any OpenAI-compatible server."))
        self.empty_label.setObjectName("providers_empty")
        self.empty_label.setWordWrap(True)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setAccessibleName("No providers yet")

        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty_label)
        self.stack.addWidget(editor)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(left)
        splitter.addWidget(self.stack)
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([180, 420])

        # -- bottom: where keys live -------------------------------------------------------
        self.keyring_line = InlineMessage()
        self.keyring_line.setObjectName("providers_keyring_status")
        self.keyring_line.setAccessibleName("Where API keys are kept")
        self.keyring_line.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)

        layout = QVBoxLayout(self)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.keyring_line)

        for edit in (self.id_edit, self.url_edit, self.key_edit):
            edit.textChanged.connect(self._on_form_edited)
        self.key_required.toggled.connect(self._on_form_edited)

        self._show_keyring_status()
        self._reload()

    # -- public ---------------------------------------------------------------------------

    def busy(self) -> bool:
        """Whether a test, model list, save or remove is still running."""
        return self._runner.busy()

    def current_id(self) -> str | None:
        return self._current.id if self._current is not None else None

    def select(self, provider_id: str) -> None:
        for row in range(self.provider_list.count()):
            if self.provider_list.item(row).data(Qt.ItemDataRole.UserRole) == provider_id:
                self.provider_list.setCurrentRow(row)
                return

    def add_provider(self, preset_id: str) -> None:
        """Start a new, unsaved provider from a preset (or ``CUSTOM``) and select it."""
        config = self._setup.draft(preset_id, taken={p.id for p in self._saved})
        self._draft = ProviderSettings(config)
        self._rebuild_list(select=config.id, draft=True)
        self.id_edit.setFocus()
        self.id_edit.selectAll()

    def follow_saved(self) -> None:
        """Providers or keys changed elsewhere (a key dialog, the CLI's session): show them,
        unless the user is editing or the page's own work is still running."""
        if not self.busy() and not self._dirty():
            self._reload(select=self.current_id())
            self._show_keyring_status()

    def revert(self) -> None:
        self._fill_form(self._current, new=self._is_draft_selected())

    # -- list -----------------------------------------------------------------------------

    def _reload(self, select: str | None = None) -> None:
        self._saved = self._setup.providers()
        self._rebuild_list(select=select)

    def _rebuild_list(self, select: str | None = None, draft: bool = False) -> None:
        previous = select or self.current_id()
        self.provider_list.blockSignals(True)
        self.provider_list.clear()
        entries = [(p, False) for p in self._saved]
        if self._draft is not None:
            entries.append((self._draft, True))
        for provider, is_draft in entries:
            title = provider_label(provider.id)
            subtitle = "not saved yet" if is_draft else self._key_words(provider)
            item = QListWidgetItem()
            item.setData(Qt.ItemDataRole.UserRole, provider.id)
            item.setData(Qt.ItemDataRole.UserRole + 1, is_draft)
            item.setData(Qt.ItemDataRole.AccessibleTextRole, f"{title}, {subtitle}")
            item.setToolTip(f"{title} ({provider.config.base_url})")
            row = _ProviderRow(title, subtitle)
            item.setSizeHint(row.sizeHint())
            self.provider_list.addItem(item)
            self.provider_list.setItemWidget(item, row)
        self.provider_list.blockSignals(False)
        matches = [i for i, (p, d) in enumerate(entries) if p.id == previous]
        target = next((i for i in matches if entries[i][1] == draft), matches[0] if matches else 0)
        if entries:
            self.provider_list.setCurrentRow(target)
        self._on_row_changed(self.provider_list.currentRow())

    def _key_words(self, provider: ProviderSettings) -> str:
        if self._setup.has_key(provider.id):
            return "key stored"
        return "no key needed" if not provider.config.key_required else "no key"

    def _is_draft_selected(self) -> bool:
        item = self.provider_list.currentItem()
        return bool(item is not None and item.data(Qt.ItemDataRole.UserRole + 1))

    def _on_row_changed(self, row: int) -> None:
        for index in range(self.provider_list.count()):
            widget = self.provider_list.itemWidget(self.provider_list.item(index))
            if isinstance(widget, _ProviderRow):
                widget.set_selected(index == row)
        if row < 0 or row >= self.provider_list.count():
            self._fill_form(None, new=False)
            return
        if self._is_draft_selected():
            self._fill_form(self._draft, new=True)
            return
        provider_id = self.provider_list.item(row).data(Qt.ItemDataRole.UserRole)
        found = next((p for p in self._saved if p.id == provider_id), None)
        self._fill_form(found, new=False)

    # -- the form -------------------------------------------------------------------------

    @staticmethod
    def _buddy(text: str, field: QWidget) -> QLabel:
        label = QLabel(text)
        label.setBuddy(field)
        return label

    def _fill_form(self, provider: ProviderSettings | None, new: bool) -> None:
        # Results for the provider shown before would land on this one's form.
        self._runner.cancel("test")
        self._runner.cancel("models")
        self._current = provider
        self._new = new
        self.stack.setCurrentIndex(0 if provider is None else 1)
        self.remove_button.setEnabled(provider is not None)
        self.remove_button.setText("Discard" if new else "Remove")
        self.remove_button.setAccessibleName("Discard new provider" if new else "Remove provider")
        self.test_result.set_message("")
        self.models_status.set_message("")
        self.form_problem.set_message("")
        self.save_status.set_message("")
        self.reveal_button.setChecked(False)
        self._filling = True
        try:
            if provider is None:
                for edit in (self.id_edit, self.url_edit, self.key_edit):
                    edit.clear()
                self.models_list.clear()
                self.default_combo.clear()
            else:
                config = provider.config
                self.id_edit.setText(config.id)
                self.id_edit.setReadOnly(not new)
                self.id_edit.setToolTip(
                    'Lower-case letters, digits, "-" or "_"; models are addressed as "id:model".'
                    if new else "Fixed once saved: remove the provider and add it again to rename it.")
                self.kind_label.setText(_KIND_WORDS.get(config.kind, config.kind))
                self.url_edit.setText(config.base_url)
                self.key_required.setChecked(config.key_required)
                self.key_edit.clear()
                models = list(provider.enabled_models)
                if config.default_model and config.default_model not in models:
                    models.append(config.default_model)
                self._set_models(models, set(provider.enabled_models), config.default_model)
        finally:
            self._filling = False
        self._update_key_placeholder()
        self._update_buttons()

    def _set_models(self, models: list[str], checked: set[str], default: str | None) -> None:
        was_filling, self._filling = self._filling, True
        try:
            self.models_list.clear()
            for name in models:
                item = QListWidgetItem(name)
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(Qt.CheckState.Checked if name in checked
                                   else Qt.CheckState.Unchecked)
                self.models_list.addItem(item)
            self.default_combo.clear()
            self.default_combo.addItem(NO_DEFAULT, None)
            for name in models:
                self.default_combo.addItem(name, name)
            index = self.default_combo.findData(default) if default else 0
            self.default_combo.setCurrentIndex(max(0, index))
        finally:
            self._filling = was_filling

    def _on_reveal(self, shown: bool) -> None:
        self.key_edit.setEchoMode(QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password)

    def _update_key_placeholder(self) -> None:
        if self._current is not None and not self._new and self._setup.has_key(self._current.id):
            text = KEY_STORED if self._setup.keyring_status.secure else KEY_SESSION
        elif not self.key_required.isChecked():
            text = KEY_NOT_NEEDED
        else:
            text = KEY_EMPTY
        self.key_edit.setPlaceholderText(text)
        self.key_edit.setAccessibleDescription(text)

    def _on_default_changed(self, index: int) -> None:
        name = self.default_combo.itemData(index)
        if name and not self._filling:
            # The default model is always one of those offered.
            for row in range(self.models_list.count()):
                item = self.models_list.item(row)
                if item.text() == name and item.checkState() != Qt.CheckState.Checked:
                    item.setCheckState(Qt.CheckState.Checked)
        self._on_form_edited()

    def _on_form_edited(self, *_: Any) -> None:
        if self._filling:
            return
        self.save_status.set_message("")
        self._update_key_placeholder()
        self._update_buttons()

    def _form_config(self) -> ProviderConfig | None:
        if self._current is None:
            return None
        default = self.default_combo.currentData()
        return ProviderConfig(
            id=self.id_edit.text().strip(),
            kind=self._current.config.kind,
            base_url=self.url_edit.text().strip().rstrip("/"),
            default_model=default if isinstance(default, str) and default else None,
            key_required=self.key_required.isChecked(),
        )

    def _form_settings(self) -> ProviderSettings | None:
        config = self._form_config()
        if config is None:
            return None
        enabled = tuple(self.models_list.item(row).text() for row in range(self.models_list.count())
                        if self.models_list.item(row).checkState() == Qt.CheckState.Checked)
        return ProviderSettings(config, enabled)

    def _problem(self) -> str | None:
        """What keeps the form from being saved, in plain words; None when it is valid."""
        config = self._form_config()
        if config is None:
            return None
        problem = self._setup.id_problem(config.id, new=self._new)
        if problem is not None:
            return problem
        url = QUrl(config.base_url)
        if (not config.base_url.startswith(("http://", "https://")) or not url.isValid()
                or not url.host()):
            return "The base URL must be a web address starting with http:// or https://."
        return None

    def _changed(self) -> bool:
        """The form differs from what it was filled from, or a key was typed."""
        if self._current is None:
            return False
        return self._form_settings() != self._current or bool(self.key_edit.text().strip())

    def _dirty(self) -> bool:
        """There is something to save: a change, or a provider not saved yet."""
        return self._current is not None and (self._new or self._changed())

    def _update_buttons(self) -> None:
        problem = self._problem()
        self.form_problem.set_message(problem or "", "error" if problem else None)
        has_form = self._current is not None
        url_ok = problem is None or "base URL" not in problem
        saving = self._runner.busy("save") or self._runner.busy("remove")
        self.save_button.setEnabled(has_form and not saving and problem is None and self._dirty())
        self.revert_button.setEnabled(has_form and not saving and self._changed())
        self.test_button.setEnabled(has_form and url_ok and not self._runner.busy("test"))
        self.load_models_button.setEnabled(has_form and url_ok and not self._runner.busy("models"))
        self.remove_button.setEnabled(has_form and not saving)
        self.add_button.setEnabled(not saving)

    def _typed_key(self) -> str | None:
        return self.key_edit.text().strip() or None

    # -- background work ------------------------------------------------------------------

    def _on_test(self) -> None:
        config = self._form_config()
        if config is None:
            return
        self.test_result.set_message("Testing…")
        self._runner.run("test", self._setup.test(config, self._typed_key()),
                         on_success=self._show_test, on_failure=show_error_in(self.test_result))

    def _show_test(self, health: Health) -> None:
        self.test_result.set_message(health.detail, "ok" if health.ok else "error")

    def _on_load_models(self) -> None:
        config = self._form_config()
        if config is None:
            return
        self.models_status.set_message("Loading…")
        self._runner.run("models", self._setup.list_models(config, self._typed_key()),
                         on_success=self._show_models, on_failure=show_error_in(self.models_status))

    def _show_models(self, listed: ModelList) -> None:
        if not listed.health.ok:
            self.models_status.set_message(listed.health.detail, "error")
            return
        models = list(listed.models)
        current = self._form_settings()
        checked = set(current.enabled_models) if current else set()
        shown = [self.models_list.item(row).text() for row in range(self.models_list.count())]
        merged = models + [name for name in shown if name not in models and name in checked]
        self._set_models(merged, checked, self.default_combo.currentData())
        count = len(models)
        self.models_status.set_message(
            f"{count} model{'' if count == 1 else 's'} found: tick the ones to offer."
            if count else "The server lists no models.", "ok" if count else "warning")
        self._on_form_edited()

    def _on_save(self) -> None:
        provider = self._form_settings()
        if provider is None or self._problem() is not None:
            return
        replacing = None if self._new else self._current.id if self._current else None
        key = self._typed_key()
        self.save_status.set_message("Saving…")
        self._runner.run("save", self._setup.save(provider, key, replacing=replacing),
                         on_success=lambda saved: self._saved_provider(saved, replacing is None,
                                                                       key is not None),
                         on_failure=show_error_in(self.save_status))

    def _saved_provider(self, saved: ProviderSaved, was_new: bool, key_typed: bool) -> None:
        self.key_edit.clear()  # the widget must not keep the key around
        if was_new:  # the new provider is saved: it is no longer a draft
            self._draft = None
        self._reload(select=saved.provider_id)
        status = self._setup.keyring_status
        if saved.warning and saved.warning != status.words:  # the keyring refused this key
            self.save_status.set_message(f"Saved. {saved.warning}", "warning")
        elif key_typed and status.secure:
            self.save_status.set_message("Saved. The key is in the system keyring.", "ok")
        else:
            # Where keys live (and that, without a keyring, only for this session) is the
            # page's one line at the bottom; saying it here too made it appear twice.
            self.save_status.set_message("Saved.", "ok")
        self._show_keyring_status()
        self.sig_changed.emit()

    def _on_remove_clicked(self) -> None:
        if self._current is None:
            return
        if self._new:  # never saved: nothing to confirm, nothing in the keyring
            self._draft = None
            self._rebuild_list()
            return
        provider_id = self._current.id
        if not self._confirm_remove(provider_label(provider_id)):
            return
        self.save_status.set_message("Removing…")
        self._runner.run("remove", self._setup.remove(provider_id), on_success=self._removed,
                         on_failure=show_error_in(self.save_status))

    def _confirm_remove(self, label: str) -> bool:
        """Ask before removing; tests replace this one method."""
        answer = QMessageBox.question(
            self, "Remove provider",
            f"Remove {label} and its stored API key? Conversations that used it are kept.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel)
        return answer == QMessageBox.StandardButton.Yes

    def _removed(self, removed: ProviderSaved) -> None:
        self._reload()
        if removed.warning:
            self.save_status.set_message(removed.warning, "warning")
        self.sig_changed.emit()

    # -- keyring line ---------------------------------------------------------------------

    def _show_keyring_status(self) -> None:
        status = self._setup.keyring_status
        if status.secure:
            self.keyring_line.set_message(status.words, None)
            theme.set_foreground(self.keyring_line, theme.muted_text(self.palette()))
        else:
            self.keyring_line.set_message(status.words, "warning")
            self.keyring_line.setPalette(QPalette())  # normal text on the warning tint
