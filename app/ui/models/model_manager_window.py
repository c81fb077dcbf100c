"""The model manager: installed models, finding new ones on the hub, and their downloads.

A non-modal dialog with three tabs (Library, Discover, Downloads). It only shows what
``session.models`` (the controller's ``ModelManager``) says and forwards intent to it;
the Library follows the session's ``local_models`` changes (a finished download, a model
chosen for chat in Settings) through the window's ``ChangeSignals``.
Downloads belong to the manager, not the window: closing the window lets them run on,
and a window opened later shows them again.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtWidgets import QDialogButtonBox, QTabWidget, QVBoxLayout, QWidget

from app.controller.model_downloads import DownloadJob
from app.ui.change_signals import ChangeSignals
from app.ui.models.discover_page import DiscoverPage
from app.ui.models.downloads_page import DownloadsPage
from app.ui.models.library_page import LibraryPage
from app.ui.tool_window import ToolWindow

if TYPE_CHECKING:
    from app.controller.session import Session

__all__ = ["ModelManagerWindow"]


class ModelManagerWindow(ToolWindow):
    # What changed is not this window's to announce: an import, a removal, a finished
    # download or "Use for chat" each publish Changes(local_models=True) on the session,
    # which every view hears through ``ChangeSignals.sig_local_models_changed``.

    def __init__(self, session: Session, parent: QWidget | None = None,
                 changes: ChangeSignals | None = None) -> None:
        """``changes``: the window's adapter; on its own (tests) the window makes one."""
        super().__init__(parent)
        self._session = session
        self.setModal(False)
        self.setWindowTitle("Model manager")
        self.setAccessibleName("Model manager")
        self.resize(960, 640)

        manager = session.models
        manager.downloads.restore_interrupted()  # paused/interrupted downloads of an earlier run

        self.changes = changes or ChangeSignals(session.changes, self)
        self.library = LibraryPage(manager, session.preferences)
        self.discover = DiscoverPage(manager)
        self.downloads = DownloadsPage(manager.downloads)
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("Model manager sections")
        self.tabs.setToolTip("Installed models, finding new ones, and downloads")
        self.tabs.addTab(self.library, "Library")
        self.tabs.addTab(self.discover, "Discover")
        self.tabs.addTab(self.downloads, "Downloads")
        self.tabs.setTabToolTip(0, "The models on this computer")
        self.tabs.setTabToolTip(1, "Recommended models and the Hugging Face hub")
        self.tabs.setTabToolTip(2, "Downloads in progress, paused or failed")

        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.setAccessibleName("Close")
        close.setToolTip("Close the model manager; downloads carry on")
        close.rejected.connect(self.close)
        for b in close.buttons():
            b.setAccessibleName("Close model manager")
            b.setToolTip("Close the model manager; downloads carry on")

        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(close)

        self.changes.sig_local_models_changed.connect(self.library.refresh)
        # The context chats use follows Settings → Local models.
        self.changes.sig_settings_changed.connect(self.library.refresh)
        self.discover.sig_download_started.connect(self._on_download_started)

        # The manager keeps its listeners for the session's life: hold this window weakly,
        # so a closed and deleted window is simply skipped.
        page = weakref.ref(self.downloads)

        def listener(job: DownloadJob) -> None:
            target = page()
            if target is not None and shiboken6.isValid(target):
                target.job_changed(job)

        manager.on_download_change(listener)

    def _on_download_started(self, job: DownloadJob) -> None:
        self.downloads.job_changed(job)
        self.downloads.flush()
        self.tabs.setCurrentWidget(self.downloads)
