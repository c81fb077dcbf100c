"""Model manager → Downloads: one row per download job, with progress and the actions its
state allows (pause, resume, cancel; retry after a failure).

The manager reports every change (up to ~10 a second per job); the page only marks the
job dirty and repaints the dirty rows on one timer, so many jobs never flood the UI.

One error is shown at a time: the newest failure's words, on its row. Other failed rows
say "Failed" and keep their words in the state's tooltip, so a network that went down
under three downloads does not stack three copies of one sentence.

Row::

    Smol-Copy.Q4_1.gguf                                   Downloading
    [██████████░░░░░░░░░░░░]  12.3 MB of 94.0 MB · 5.1 MB/s · 8 s left
    [error in plain words]                         [Pause] [Resume] [Cancel]
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.controller.model_downloads import DownloadJob, Downloads
from app.core.models.download import Progress
from app.ui import theme
from app.ui.models.library_page import InlineMessage, button, human_size

__all__ = ["REPAINT_MS", "STATE_WORDS", "DownloadRow", "DownloadsPage", "progress_words"]

REPAINT_MS = 100  # at most ~10 repaints a second, however many updates arrive
STATE_WORDS = {"queued": "Waiting", "downloading": "Downloading", "paused": "Paused",
               "done": "Done: in the Library", "failed": "Failed", "cancelled": "Cancelled"}


def _duration(seconds: float) -> str:
    s = max(0, round(seconds))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60} s" if s % 60 and s < 600 else f"{s // 60} min"
    return f"{s // 3600} h {s % 3600 // 60} min"


def progress_words(progress: Progress | None, state: str) -> str:
    """``12.3 MB of 94.0 MB · 5.1 MB/s · 8 s left`` (speed and time only while running)."""
    if progress is None:
        return "Not started"
    parts = [f"{human_size(progress.done)} of {human_size(progress.total)}"
             if progress.total else human_size(progress.done)]
    if state == "downloading":
        if progress.bytes_per_s > 0:
            parts.append(f"{human_size(round(progress.bytes_per_s))}/s")
        if progress.eta_s is not None:
            parts.append(f"{_duration(progress.eta_s)} left")
    return " · ".join(parts)


class DownloadRow(QFrame):
    """One job: its name, progress and the buttons its state allows."""

    def __init__(self, job: DownloadJob, page: DownloadsPage) -> None:
        super().__init__()
        self.job = job
        self.setFrameShape(QFrame.Shape.StyledPanel)
        name = job.file.name
        self.setAccessibleName(f"Download of {name}")
        self.name_label = QLabel(name)
        self.name_label.setToolTip(f"{job.file.repo}/{name}\ninto {job.dest.parent}")
        self.name_label.setAccessibleName("Model file")
        font = QFont(self.name_label.font())
        font.setBold(True)
        self.name_label.setFont(font)
        self.state_label = QLabel()
        self.state_label.setAccessibleName("Download state")
        self.state_label.setToolTip("Where this download stands")
        self.state_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setTextVisible(False)
        self.bar.setAccessibleName(f"Progress of {name}")
        self.bar.setToolTip("How much of the file has arrived")
        self.detail = QLabel()
        self.detail.setAccessibleName("Download progress")
        self.detail.setToolTip("Bytes so far, speed and time left")
        theme.set_foreground(self.detail, theme.muted_text(self.detail.palette()))
        self.error = InlineMessage("Download error")
        self.pause_button = button("Pause", f"Pause {name}", "Stop for now, keeping what has arrived")
        self.resume_button = button("Resume", f"Resume {name}", "Carry on from where it stopped")
        self.cancel_button = button("Cancel", f"Cancel {name}",
                                    "Stop and delete what has arrived so far")
        self.pause_button.clicked.connect(lambda: page.pause(job))
        self.resume_button.clicked.connect(lambda: page.resume(job))
        self.cancel_button.clicked.connect(lambda: page.cancel(job))

        grid = QGridLayout(self)
        grid.addWidget(self.name_label, 0, 0)
        grid.addWidget(self.state_label, 0, 1)
        grid.addWidget(self.bar, 1, 0)
        grid.addWidget(self.detail, 1, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.error, 1)
        buttons.addStretch(0)
        for b in (self.pause_button, self.resume_button, self.cancel_button):
            buttons.addWidget(b)
        grid.addLayout(buttons, 2, 0, 1, 2)
        grid.setColumnStretch(0, 3)
        grid.setColumnStretch(1, 2)
        self.refresh()

    def refresh(self, show_error: bool = True) -> None:
        """Repaint from the job; ``show_error``: this row holds the page's one error."""
        job, state = self.job, self.job.state
        fraction = job.progress.fraction if job.progress is not None else None
        if state == "done":
            fraction = 1.0
        if fraction is None and state == "downloading":
            self.bar.setRange(0, 0)  # size unknown: a busy bar
        else:
            self.bar.setRange(0, 1000)
            self.bar.setValue(round((fraction or 0.0) * 1000))
        words = STATE_WORDS.get(state, state)
        self.state_label.setText(words)
        self.state_label.setAccessibleDescription(f"{words}: {job.error}" if job.error else words)
        self.state_label.setToolTip(job.error or "Where this download stands")
        self.detail.setText(progress_words(job.progress, state))
        self.detail.setAccessibleDescription(self.detail.text())
        shown = job.error if show_error else None
        self.error.set_message(shown or "", "error" if shown else None)
        self.pause_button.setVisible(state in ("queued", "downloading"))
        self.resume_button.setVisible(state in ("paused", "failed"))
        self.resume_button.setText("Retry" if state == "failed" else "Resume")
        self.resume_button.setAccessibleName(
            f"{'Retry' if state == 'failed' else 'Resume'} {job.file.name}")
        self.cancel_button.setVisible(state in ("queued", "downloading", "paused", "failed"))


class DownloadsPage(QWidget):
    sig_job_done = Signal(object)
    """A download finished and its model is installed; the argument is the job."""

    def __init__(self, downloads: Downloads, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._downloads = downloads
        self._rows: dict[DownloadJob, DownloadRow] = {}
        self._dirty: set[DownloadJob] = set()
        self._seen_done: set[DownloadJob] = set()
        self._failures: list[DownloadJob] = []  # failed jobs, the newest failure last
        self.setAccessibleName("Downloads")
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(REPAINT_MS)
        self._timer.timeout.connect(self.flush)

        self.empty = QLabel("No downloads yet. Find a model on the Discover tab.")
        self.empty.setAccessibleName("No downloads")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        theme.set_foreground(self.empty, theme.muted_text(self.empty.palette()))
        self._list = QWidget()
        self._list_layout = QVBoxLayout(self._list)
        self._list_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self._list)
        scroll.setAccessibleName("Download list")
        scroll.setToolTip("Downloads of this session, and any left unfinished earlier")

        layout = QVBoxLayout(self)
        layout.addWidget(self.empty)
        layout.addWidget(scroll, 1)
        for job in downloads.jobs:
            if job.state == "done":
                self._seen_done.add(job)
            self._add_row(job)
        self._note_failures(downloads.jobs)
        newest = self._newest_failure()
        for job, row in self._rows.items():
            row.refresh(show_error=job is newest)
        self._update_empty()

    def rows(self) -> list[DownloadRow]:
        return list(self._rows.values())

    def row_for(self, job: DownloadJob) -> DownloadRow | None:
        return self._rows.get(job)

    def shown_errors(self) -> list[str]:
        """The error words on screen now: one at most."""
        return [row.error.text() for row in self._rows.values() if not row.error.isHidden()]

    # ---- updates --------------------------------------------------------------------------

    def job_changed(self, job: DownloadJob) -> None:
        """Called for every change the manager reports: mark it, repaint on the timer."""
        self._dirty.add(job)
        if not self._timer.isActive():
            self._timer.start()

    def flush(self) -> None:
        dirty, self._dirty = self._dirty, set()
        before = self._newest_failure()
        self._note_failures([job for job in self._downloads.jobs if job in dirty])
        newest = self._newest_failure()
        if before is not newest:  # the one error moves from one row to another
            dirty |= {job for job in (before, newest) if job is not None}
        for job in self._downloads.jobs:  # keep the manager's order
            if job not in dirty:
                continue
            row = self._rows.get(job) or self._add_row(job)
            row.refresh(show_error=job is newest)
            if job.state == "done" and job not in self._seen_done:
                self._seen_done.add(job)
                self.sig_job_done.emit(job)
        self._update_empty()

    def _newest_failure(self) -> DownloadJob | None:
        return self._failures[-1] if self._failures else None

    def _note_failures(self, jobs: list[DownloadJob]) -> None:
        for job in jobs:
            if job in self._failures and (job.state != "failed" or not job.error):
                self._failures.remove(job)  # retried or cancelled
            elif job.state == "failed" and job.error and job not in self._failures:
                self._failures.append(job)

    def _add_row(self, job: DownloadJob) -> DownloadRow:
        row = DownloadRow(job, self)
        self._rows[job] = row
        self._list_layout.insertWidget(self._list_layout.count() - 1, row)
        return row

    def _update_empty(self) -> None:
        self.empty.setVisible(not self._rows)

    # ---- intent -------------------------------------------------------------------------

    def pause(self, job: DownloadJob) -> None:
        self._downloads.pause(job)

    def resume(self, job: DownloadJob) -> None:
        self._downloads.resume(job)

    def cancel(self, job: DownloadJob) -> None:
        self._downloads.cancel(job)
