"""Model manager → Discover: curated starter models, hub search, a repository's GGUF files,
and whether the picked file fits this machine before it is downloaded.

Every hub call runs on the page's ``TaskRunner`` under its list's key ("search",
"files", "memory", "fit"): a newer pick cancels the older call, so a slow reply never
overwrites what the user is looking at.

Failures of any of them are shown in one place, the message under the search field, one
at a time: a newer failure replaces the older, and a later success of another call does
not hide it (a pasted URL searches and lists at once; both failing for one cause must not
read as two different errors). The user's next search or pick clears it.

Layout::

    ┌ [Search the hub or paste a repo id / URL        ] [Search] ─────────────┐
    │ [the one message: searching…, or the newest error]                    │
    │ Recommended                       │ Files of acme/Smol-GGUF           │
    │ purpose │ model │ size │ note ... │ File │ Quant │ Size │ Memory      │
    │   (notes wrap)                    │ …                                 │
    │ Search results                    │ [Fits: Needs about 0.3 GB …]      │
    │ Repository │ Downloads │ Likes    │                        [Download] │
    └─────────────────────────────────────────────────────────────────────────┘
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QMessageBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.controller.model_downloads import DownloadJob
from app.core.byte_size import format_bytes
from app.core.models.fit import FitEstimate
from app.core.models.hub import Recommended, RemoteFile, RepoSummary
from app.ui.error_presenter import error_text
from app.ui.inline_message import Tone
from app.ui.models.library_page import InlineMessage, button, cell, human_size, read_only_table
from app.ui.task_runner import TaskRunner

if TYPE_CHECKING:
    from app.controller.model_manager import ModelManager

__all__ = ["FILE_COLUMNS", "RECOMMENDED_COLUMNS", "VERDICT_LABELS", "DiscoverPage"]

RECOMMENDED_COLUMNS = ("Purpose", "Model", "Size", "Note")
FILE_COLUMNS = ("File", "Quant", "Size", "Memory needed")
_NOTE, _MEMORY = RECOMMENDED_COLUMNS.index("Note"), FILE_COLUMNS.index("Memory needed")

VERDICT_LABELS = {"fits": "Fits", "tight": "Tight", "too_big": "Too big"}
_VERDICT_TONES = {"fits": "ok", "tight": "warning", "too_big": "error"}
# "owner/name", or a hub URL holding one: open that repository's files directly.
_REPO_RE = re.compile(r"^(?:https?://[^/\s]+/)?([\w.-]+/[\w.-]+)(?:/\S*)?$")


def repo_in(text: str) -> str | None:
    """The repository id a pasted id or URL names, or None for plain search words."""
    match = _REPO_RE.match(text.strip())
    return match.group(1) if match else None


class DiscoverPage(QWidget):
    sig_download_started = Signal(object)
    """A download was queued; the argument is its ``DownloadJob``."""

    def __init__(self, models: ModelManager, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._models = models
        self._runner = TaskRunner(self)
        self._runner.sig_busy_changed.connect(self._on_busy)
        self._recommended: list[Recommended] = models.recommended()
        self._results: list[RepoSummary] = []
        self._files: list[RemoteFile] = []
        self._repo: str | None = None
        self._want_file: str | None = None  # a recommended file to pick when the list arrives
        self._fit: FitEstimate | None = None
        self._memory: dict[str, FitEstimate] = {}
        self._error_from: str | None = None  # the call whose failure the message shows
        self.setAccessibleName("Discover models")

        self.search_field = QLineEdit()
        self.search_field.setPlaceholderText("Search GGUF models, or paste a repository id or URL")
        self.search_field.setAccessibleName("Search models")
        self.search_field.setToolTip("Words to search the model hub for; Enter searches")
        self.search_field.setClearButtonEnabled(True)
        self.search_field.returnPressed.connect(self.search)
        self.search_button = button("Search", "Search", "Search the model hub for GGUF models")
        self.search_button.clicked.connect(self.search)
        self.message = InlineMessage("Search message")

        self.recommended_table = read_only_table(
            RECOMMENDED_COLUMNS, "Recommended models",
            "Small starter models picked for this app; choose one to see its files and the "
            "memory each needs")
        # Notes wrap in the column left to them, and rows grow to hold them whenever a
        # column changes width: nothing is cut. Long file names are shortened in the middle
        # instead (the quant at the end stays readable); the tooltip has them whole.
        self.recommended_table.setWordWrap(True)
        self.recommended_table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        header = self.recommended_table.horizontalHeader()
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(1, 170)
        header.setSectionResizeMode(_NOTE, QHeaderView.ResizeMode.Stretch)
        # A stretched column changes width after the header's own signals, when the view
        # is laid out: fit the rows once that is done.
        self._fit_rows = QTimer(self)
        self._fit_rows.setSingleShot(True)
        self._fit_rows.setInterval(0)
        self._fit_rows.timeout.connect(self.recommended_table.resizeRowsToContents)
        header.sectionResized.connect(lambda *_: self._fit_rows.start())
        self.recommended_table.viewport().installEventFilter(self)
        self.recommended_table.itemSelectionChanged.connect(self._on_recommended_picked)
        self.results_table = read_only_table(
            ("Repository", "Downloads", "Likes"), "Search results",
            "Repositories that match, most downloaded first; choose one to see its files")
        self.results_table.itemSelectionChanged.connect(self._on_repo_picked)

        self.files_box = QGroupBox("Files")
        self.files_table = read_only_table(
            FILE_COLUMNS, "Model files",
            "The repository's GGUF files, with the memory each needs at the context chats use; "
            "choose one to check it fits this computer")
        # The file name takes what the numbers leave, shortened in the middle (its quant
        # and extension stay readable; the tooltip has it whole): no column is cut off.
        self.files_table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        files_header = self.files_table.horizontalHeader()
        files_header.setStretchLastSection(False)
        files_header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.files_table.itemSelectionChanged.connect(self._on_file_picked)
        self.files_message = InlineMessage("Files message")
        self.fit_badge = InlineMessage("Fits this computer")
        self.download_button = button("Download", "Download model",
                                      "Download the chosen file into the models folder")
        self.download_button.clicked.connect(self._on_download)

        search_row = QHBoxLayout()
        search_row.addWidget(self.search_field, 1)
        search_row.addWidget(self.search_button)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        recommended_box = QGroupBox("Recommended")
        QVBoxLayout(recommended_box).addWidget(self.recommended_table)
        results_box = QGroupBox("Search results")
        QVBoxLayout(results_box).addWidget(self.results_table)
        left_layout.addWidget(recommended_box, 1)
        left_layout.addWidget(results_box, 1)

        files_layout = QVBoxLayout(self.files_box)
        files_layout.addWidget(self.files_table, 1)
        files_layout.addWidget(self.files_message)
        files_layout.addWidget(self.fit_badge)
        download_row = QHBoxLayout()
        download_row.addStretch(1)
        download_row.addWidget(self.download_button)
        files_layout.addLayout(download_row)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(left)
        splitter.addWidget(self.files_box)
        splitter.setSizes([560, 400])

        layout = QVBoxLayout(self)
        layout.addLayout(search_row)
        layout.addWidget(self.message)
        layout.addWidget(splitter, 1)

        self._fill_recommended()
        self._update_buttons()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize and watched is self.recommended_table.viewport():
            self._fit_rows.start()
        return super().eventFilter(watched, event)

    # ---- state the window and tests read ------------------------------------------------

    @property
    def searching(self) -> bool:
        return self._runner.busy("search")

    def results(self) -> list[RepoSummary]:
        return list(self._results)

    def files(self) -> list[RemoteFile]:
        return list(self._files)

    def selected_file(self) -> RemoteFile | None:
        rows = self.files_table.selectionModel().selectedRows()
        return self._files[rows[0].row()] if rows and rows[0].row() < len(self._files) else None

    @property
    def fit(self) -> FitEstimate | None:
        return self._fit

    def memory(self) -> dict[str, FitEstimate]:
        """The memory estimate of each listed file, by name, once read."""
        return dict(self._memory)

    # ---- the one message ---------------------------------------------------------------

    def _say(self, key: str, text: str, tone: Tone = None) -> None:
        """Progress or an outcome of ``key``'s call: shown unless another call's failure is."""
        if self._error_from is not None and self._error_from != key:
            return
        self._error_from = None
        self.message.set_message(text, tone)

    def _fail(self, key: str, error: BaseException, context: str = "", tone: Tone = "error") -> None:
        """``key``'s call failed: its words replace whatever the message said."""
        words = error_text(error, context)
        if words is None:  # cancelled: superseded by a newer call, nothing to say
            return
        self._error_from = key
        self.message.set_message(words, tone)

    def _clear_failure(self) -> None:
        """The user asked for something new: the old failure is no longer the news."""
        self._error_from = None
        self.message.set_message("")

    # ---- recommended ---------------------------------------------------------------------

    def _fill_recommended(self) -> None:
        self.recommended_table.setRowCount(len(self._recommended))
        for row, pick in enumerate(self._recommended):
            self.recommended_table.setItem(row, 0, cell(pick.purpose))
            self.recommended_table.setItem(row, 1, cell(pick.file, f"{pick.repo}/{pick.file}"))
            size = f"about {format_bytes(pick.size)}" if pick.size else "?"
            self.recommended_table.setItem(row, 2, cell(
                size, "The file's size; choose the model to see the memory it needs", align_right=True))
            self.recommended_table.setItem(row, _NOTE, cell(pick.note))
        self.recommended_table.resizeRowsToContents()

    def _on_recommended_picked(self) -> None:
        rows = self.recommended_table.selectionModel().selectedRows()
        if not rows:
            return
        pick = self._recommended[rows[0].row()]
        self.results_table.clearSelection()
        self.open_repo(pick.repo, pick.file)

    # ---- search --------------------------------------------------------------------------

    def search(self) -> None:
        query = self.search_field.text().strip()
        self._clear_failure()
        if not query:
            self._say("search", "Type a few words of a model's name to search.", "warning")
            return
        repo = repo_in(query)
        if repo is not None:
            query = repo  # a pasted URL: search for the repository it names
        self._say("search", f"Searching for “{query}”…")
        self._runner.run("search", self._models.search(query),
                         on_success=lambda found: self._show_results(query, found),
                         on_failure=lambda exc: self._show_results(query, [], exc))
        if repo is not None:  # a pasted id or URL: show that repository straight away
            self.open_repo(repo)

    def _show_results(self, query: str, found: list[RepoSummary],
                      error: BaseException | None = None) -> None:
        found = sorted(found, key=lambda r: r.downloads, reverse=True)
        self._results = found
        self.results_table.setRowCount(len(found))
        for row, repo in enumerate(found):
            self.results_table.setItem(row, 0, cell(repo.id))
            self.results_table.setItem(row, 1, cell(f"{repo.downloads:,}", align_right=True))
            self.results_table.setItem(row, 2, cell(f"{repo.likes:,}", align_right=True))
        if error is not None:
            self._fail("search", error)
        elif not found:
            self._say("search", f"No GGUF models match “{query}”.", "warning")
        else:
            self._say("search", "")
        self._update_buttons()

    def _on_busy(self, key: str, busy: bool) -> None:
        if key == "search":
            self.search_button.setText("Searching…" if busy else "Search")
        self._update_buttons()

    # ---- a repository's files -----------------------------------------------------------

    def _on_repo_picked(self) -> None:
        rows = self.results_table.selectionModel().selectedRows()
        if rows and rows[0].row() < len(self._results):
            self.recommended_table.clearSelection()
            self.open_repo(self._results[rows[0].row()].id)

    def open_repo(self, repo: str, pick: str | None = None) -> None:
        """List ``repo``'s GGUF files (in the background); select ``pick`` when listed."""
        self._runner.cancel("fit")
        self._runner.cancel("memory")
        if self._error_from in ("files", "memory", "fit"):
            self._clear_failure()  # the last repository's failure; a search's stays
        self._repo, self._want_file, self._files, self._fit = repo, pick, [], None
        self._memory = {}
        self.files_box.setTitle(f"Files of {repo}")
        self.files_table.setRowCount(0)
        self.fit_badge.set_message("")
        self.files_message.set_message(f"Listing the files of {repo}…")
        self._update_buttons()
        self._runner.run("files", self._models.files(repo),
                         on_success=lambda files: self._show_files(repo, files),
                         on_failure=lambda exc: self._show_files(repo, [], exc))

    def _show_files(self, repo: str, files: list[RemoteFile],
                    error: BaseException | None = None) -> None:
        self._files = files
        self.files_table.setRowCount(len(files))
        for row, f in enumerate(files):
            sha = f"sha256 {f.sha256}" if f.sha256 else "No checksum published"
            self.files_table.setItem(row, 0, cell(f.name, f"{f.name}\n{sha}"))
            self.files_table.setItem(row, 1, cell(f.quant or "?", sha))
            self.files_table.setItem(row, 2, cell(human_size(f.size), sha, align_right=True))
            self.files_table.setItem(row, _MEMORY, cell("…", "Reading the model's header to estimate…",
                                                         align_right=True))
        if files:
            self._runner.run("memory", self._models.memory_needed(files),
                             on_success=self._show_memory, on_failure=self._show_memory_failure)
        if error is not None:
            self.files_message.set_message("")
            self._fail("files", error)
        elif not files:
            self.files_message.set_message(f"{repo} has no GGUF files.", "warning")
        else:
            self.files_message.set_message("")
            wanted = next((i for i, f in enumerate(files) if f.name == self._want_file), None)
            if wanted is not None:
                self.files_table.selectRow(wanted)
        self._update_buttons()

    # ---- memory per file -----------------------------------------------------------------

    def _show_memory(self, estimates: dict[str, FitEstimate]) -> None:
        self._memory = estimates
        for row, f in enumerate(self._files):
            fit = estimates.get(f.name)
            if fit is None:
                item = cell("?", "Not known for this file (a size or a header is missing)", align_right=True)
            else:
                label = VERDICT_LABELS.get(fit.verdict, fit.verdict).lower()
                item = cell(f"{format_bytes(fit.needed_bytes)} ({label})", fit.words, align_right=True)
            self.files_table.setItem(row, _MEMORY, item)

    def _show_memory_failure(self, error: BaseException) -> None:
        # Not the page's error: the header read may fail for one odd file while the files
        # are fine, and picking one checks its fit and says what is wrong.
        words = error_text(error)
        if words is None:
            return
        for row in range(len(self._files)):
            self.files_table.setItem(row, _MEMORY, cell("?", f"Could not estimate: {words}", align_right=True))

    # ---- will it fit ---------------------------------------------------------------------

    def _on_file_picked(self) -> None:
        picked = self.selected_file()
        self._fit = None
        if self._error_from == "fit":
            self._clear_failure()  # about the file picked before
        known = self._memory.get(picked.name) if picked is not None else None
        if picked is None:
            self._runner.cancel("fit")
            self.fit_badge.set_message("")
        elif known is not None:  # the repository's header was read already
            self._runner.cancel("fit")
            self._show_fit(known)
        else:
            self.fit_badge.set_message(f"Checking whether {picked.name} fits this computer…")
            self._runner.run("fit", self._models.fit(picked), on_success=self._show_fit,
                             on_failure=self._show_fit_failure)
        self._update_buttons()

    def _show_fit(self, estimate: FitEstimate) -> None:
        self._fit = estimate
        label = VERDICT_LABELS.get(estimate.verdict, estimate.verdict)
        self.fit_badge.set_message(f"{label}: {estimate.words}",
                                   _VERDICT_TONES.get(estimate.verdict))  # type: ignore[arg-type]

    def _show_fit_failure(self, error: BaseException) -> None:
        if error_text(error) is None:
            return
        # A warning, not an error: the file may still be downloaded. In the page's one
        # message, so a hub that is down is not reported twice.
        self.fit_badge.set_message("")
        picked = self.selected_file()
        name = picked.name if picked is not None else "the file"
        self._fail("fit", error, f"Could not check whether {name} fits:", tone="warning")

    # ---- download --------------------------------------------------------------------------

    def confirm_too_big(self, file: RemoteFile, estimate: FitEstimate) -> bool:
        """Ask before downloading a file that will not fit; tests replace this."""
        answer = QMessageBox.question(
            self, "Download anyway?",
            f"{file.name} probably will not fit in this computer's memory.\n\n{estimate.words}\n\n"
            "Download it anyway?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel)
        return answer == QMessageBox.StandardButton.Yes

    def _on_download(self) -> None:
        file = self.selected_file()
        if file is None:
            return
        if self._fit is not None and self._fit.verdict == "too_big" and not self.confirm_too_big(file, self._fit):
            return
        job: DownloadJob = self._models.download(file)
        self.files_message.set_message(f"{file.name} is downloading: see the Downloads tab.", "ok")
        self.sig_download_started.emit(job)

    def _update_buttons(self) -> None:
        self.search_button.setEnabled(not self.searching)
        self.download_button.setEnabled(self.selected_file() is not None)
