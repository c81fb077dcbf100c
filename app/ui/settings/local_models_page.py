"""Settings page: how local models run (llama.cpp), and offline mode.

The page edits a copy of the saved values; Save writes them through the controller's
``Preferences.save_local`` (which unloads the loaded model, so the next reply loads it
with the new settings) and, when the checkbox changed, ``set_offline``, on the page's
``TaskRunner``; a failure is worded by the one error presenter.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from PySide6.QtCore import QEvent, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.controller.preferences import Preferences
from app.core.providers.local_settings import LocalModelSettings
from app.core.settings import SettingsError
from app.ui import theme
from app.ui.error_presenter import error_text
from app.ui.inline_message import InlineMessage
from app.ui.settings.save_bar import SaveBar
from app.ui.task_runner import TaskRunner

__all__ = ["GPU_BUILD_HINT", "LocalModelsPage", "ProblemLabel"]

CONTEXT_MIN, CONTEXT_MAX, CONTEXT_STEP = 256, 131072, 256
BATCH_MIN, BATCH_MAX = 1, 4096
THREADS_MAX = 256
GPU_LAYERS_MAX = 999

GPU_BUILD_HINT = (
    "This build of llama-cpp-python runs on the CPU only. To offload layers to a GPU, "
    "reinstall it built for your GPU, for example:\n"
    'CMAKE_ARGS="-DGGML_CUDA=on" pip install --force-reinstall --no-cache-dir llama-cpp-python\n'
    "(-DGGML_METAL=on on a Mac, -DGGML_VULKAN=on for other GPUs)."
)


class ProblemLabel(InlineMessage):
    """Why the page could not save, on the error tint; hidden when empty."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Problem", parent)

    def show_problem(self, text: str) -> None:
        self.set_message(text, "error")

    def clear_problem(self) -> None:
        self.set_message("")


class _Values(NamedTuple):
    local: LocalModelSettings
    default_model: str
    offline: bool


class LocalModelsPage(QWidget):
    sig_changed = Signal()
    """Emitted after a save succeeded (local model settings and/or offline mode)."""

    def __init__(self, prefs: Preferences, session_offline_get: Callable[[], bool],
                 set_offline: Callable[[bool], None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._prefs = prefs
        self._offline_get = session_offline_get
        self._set_offline = set_offline
        self._runner = TaskRunner(self)
        self._runner.sig_busy_changed.connect(lambda _key, _busy: self._update_buttons())
        self._saved: _Values | None = None
        self._filling = False

        self.model = QComboBox()
        self.model.setAccessibleName("Default local model")
        self.model.setToolTip("The local model that answers when a router picks “local”.")

        automatic = prefs.default_threads()
        self.threads = QSpinBox()
        self.threads.setRange(0, THREADS_MAX)
        self.threads.setSpecialValueText(f"Automatic ({automatic})")
        self.threads.setAccessibleName("Threads")
        self.threads.setToolTip(f"CPU threads for generation. Automatic uses {automatic} "
                                "on this computer; the lowest value means Automatic.")

        self.context = QSpinBox()
        self.context.setRange(CONTEXT_MIN, CONTEXT_MAX)
        self.context.setSingleStep(CONTEXT_STEP)
        self.context.setSuffix(" tokens")
        self.context.setAccessibleName("Context length")
        self.context.setToolTip("How many tokens of conversation the model sees at once. "
                                "Longer contexts use more memory.")

        self.batch = QSpinBox()
        self.batch.setRange(BATCH_MIN, BATCH_MAX)
        self.batch.setAccessibleName("Batch size")
        self.batch.setToolTip("Prompt tokens processed per step. Larger is faster on "
                              "long prompts and uses more memory.")

        supported = prefs.gpu_offload_supported()
        self.gpu_layers = QSpinBox()
        self.gpu_layers.setRange(-1, GPU_LAYERS_MAX)
        self.gpu_layers.setSpecialValueText("All")
        self.gpu_layers.setMinimumWidth(90)
        self.gpu_layers.setAccessibleName("GPU layers")
        self.gpu_support = QLabel(
            f"GPU offload supported by this build: {'yes' if supported else 'no'}")
        self.gpu_support.setAccessibleName("GPU offload support")
        if supported:
            self.gpu_layers.setToolTip("Layers offloaded to the GPU: 0 runs on the CPU, "
                                       "“All” offloads every layer.")
            self.gpu_support.setToolTip("This llama-cpp-python build can offload to a GPU.")
        else:
            self.gpu_layers.setEnabled(False)
            self.gpu_layers.setToolTip(GPU_BUILD_HINT)
            self.gpu_support.setToolTip(GPU_BUILD_HINT)
        self.gpu_layers.setAccessibleDescription(self.gpu_layers.toolTip())
        gpu_row = QHBoxLayout()
        gpu_row.addWidget(self.gpu_layers)
        gpu_row.addWidget(self.gpu_support, 1)

        self.offline = QCheckBox("Offline: no message leaves this computer")
        self.offline.setAccessibleName("Offline mode")
        self.offline.setToolTip("Only local models answer; cloud providers are never "
                                "contacted. Kept for the next start.")

        form = QFormLayout()
        form.addRow("Default local &model:", self.model)
        form.addRow("&Threads:", self.threads)
        form.addRow("&Context length:", self.context)
        form.addRow("&Batch size:", self.batch)
        gpu_label = QLabel("&GPU layers:")
        gpu_label.setBuddy(self.gpu_layers)
        form.addRow(gpu_label, gpu_row)
        form.addRow("", self.offline)

        self.note = QLabel("A loaded model is reloaded with the new settings at the next reply.")
        self.note.setWordWrap(True)
        self.note.setAccessibleName("Note")
        self.problem = ProblemLabel()
        buttons = SaveBar("local model settings", "Undo the changes on this page since the last save.",
                          "Save these settings.")
        self.status, self.revert_button, self.save_button = buttons.status, buttons.revert_button, buttons.save_button
        self.revert_button.clicked.connect(self.revert)
        self.save_button.clicked.connect(self.save)
        self._apply_colours()

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.note)
        layout.addWidget(self.problem)
        layout.addStretch(1)
        layout.addLayout(buttons)

        for spin in (self.threads, self.context, self.batch, self.gpu_layers):
            spin.valueChanged.connect(self._on_edited)
        self.model.currentIndexChanged.connect(self._on_edited)
        self.offline.toggled.connect(self._on_edited)
        self.reload()

    # ---- public ----------------------------------------------------------------------

    @property
    def is_saving(self) -> bool:
        return self._runner.busy("save")

    def is_changed(self) -> bool:
        return self._saved is not None and self._values() != self._saved

    def reload(self) -> None:
        """Show the saved values (and the installed models) again, dropping edits."""
        local = self._prefs.local
        self._saved = _Values(local, self._prefs.default_local_model, bool(self._offline_get()))
        self._filling = True
        try:
            self._fill_models(self._saved.default_model)
            self.threads.setMaximum(max(THREADS_MAX, local.n_threads or 0))
            self.threads.setValue(local.n_threads or 0)
            self.context.setMaximum(max(CONTEXT_MAX, local.n_ctx))
            self.context.setValue(local.n_ctx)
            self.batch.setMaximum(max(BATCH_MAX, local.n_batch))
            self.batch.setValue(local.n_batch)
            self.gpu_layers.setMaximum(max(GPU_LAYERS_MAX, local.n_gpu_layers))
            self.gpu_layers.setValue(local.n_gpu_layers)
            self.offline.setChecked(self._saved.offline)
        finally:
            self._filling = False
        self.problem.clear_problem()
        self._update_buttons()

    def follow_saved(self) -> None:
        """Settings or installed models changed elsewhere (the model manager, the status
        bar's offline switch): show them, unless the user is editing or saving here."""
        if not self.is_changed() and not self.is_saving:
            self.reload()

    def revert(self) -> None:
        self.reload()
        self.status.clear()

    def save(self) -> None:
        if not self.is_changed() or self.is_saving:
            return
        self.problem.clear_problem()
        self.status.setText("Saving…")
        values = self._values()
        self._runner.run("save", self._save(values), on_success=lambda _: self._saved_values(values),
                         on_failure=self._save_failed)

    # ---- private ---------------------------------------------------------------------

    def _fill_models(self, current: str) -> None:
        self.model.clear()
        names = self._prefs.local_models
        for name in names:
            self.model.addItem(name, name)
        if current and current not in names:
            self.model.addItem(f"{current} (not installed)", current)
        self.model.setCurrentIndex(max(0, self.model.findData(current)))

    def _values(self) -> _Values:
        threads = self.threads.value()
        local = LocalModelSettings(
            n_ctx=self.context.value(),
            n_threads=threads if threads > 0 else None,
            n_batch=self.batch.value(),
            n_gpu_layers=self.gpu_layers.value(),
        )
        model = self.model.currentData()
        return _Values(local, model if isinstance(model, str) else "", self.offline.isChecked())

    def _on_edited(self, *_: object) -> None:
        if not self._filling:
            self.status.clear()
            self._update_buttons()

    def _update_buttons(self) -> None:
        changed = self.is_changed()
        self.save_button.setEnabled(changed and not self.is_saving)
        self.revert_button.setEnabled(changed and not self.is_saving)

    async def _save(self, values: _Values) -> None:
        assert self._saved is not None
        if (values.local, values.default_model) != (self._saved.local, self._saved.default_model):
            if not values.default_model:
                raise SettingsError("Choose a default local model first.")
            await self._prefs.save_local(values.local, values.default_model)
            # Saved even if offline mode fails next: Revert must not undo it on screen.
            self._saved = self._saved._replace(local=values.local, default_model=values.default_model)
        if values.offline != self._saved.offline:
            self._set_offline(values.offline)

    def _saved_values(self, values: _Values) -> None:
        self._saved = values
        self.status.setText("Saved.")
        self._update_buttons()
        self.sig_changed.emit()

    def _save_failed(self, error: BaseException) -> None:
        self.status.clear()
        text = error_text(error, "The settings were not saved.")
        if text is not None:
            self.problem.show_problem(text)
        self._update_buttons()

    def _apply_colours(self) -> None:
        for label in (self.note, self.status):
            theme.set_foreground(label, theme.muted_text(self.palette()))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange:
            self._apply_colours()
        super().changeEvent(event)

    def showEvent(self, event: QShowEvent) -> None:
        # Offline mode can change elsewhere (status bar); refresh unless the user is editing.
        if not self.is_changed() and not self.is_saving:
            self.reload()
        super().showEvent(event)
