"""Editor for a time-of-day window: from/to, weekdays, and the time zone it is read in."""

from __future__ import annotations

from functools import cache
from zoneinfo import available_timezones

from PySide6.QtCore import QStringListModel, Qt, QTime
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QCompleter,
    QHBoxLayout,
    QLabel,
    QTimeEdit,
    QWidget,
)

from app.core.router.conditions.time_window import WEEKDAYS, parse_clock
from app.ui.router_editor.conditions.condition_editor import Json, LeafEditor, Problem

LOCAL_ZONE = "Computer's time zone"
_FORMAT = "HH:mm"


@cache
def _zone_names() -> list[str]:
    return sorted(available_timezones())


class TimeEditor(LeafEditor):
    kind_name = "Time of day"

    def _build(self) -> None:
        # The "from"/"to" text as loaded ("9:00"), written back while the time is unchanged:
        # the core keeps the text, so "09:00" would not compare equal.
        self._loaded_clock: dict[QTimeEdit, str] = {}
        times = QHBoxLayout()
        self.from_edit = self._time_edit("From")
        self.to_edit = self._time_edit("To")
        from_label, to_label = QLabel("From", self), QLabel("to", self)
        from_label.setBuddy(self.from_edit)
        to_label.setBuddy(self.to_edit)
        for widget in (from_label, self.from_edit, to_label, self.to_edit):
            times.addWidget(widget)
        times.addStretch(1)
        self._layout.addLayout(times)
        self._layout.addWidget(self._error_slot("Times", "from", "to"))

        days = QHBoxLayout()
        self.day_boxes: dict[str, QCheckBox] = {}
        for day in WEEKDAYS:
            box = QCheckBox(day.title(), self)
            box.setAccessibleName(day.title())
            box.toggled.connect(self._edited)
            days.addWidget(box)
            self.day_boxes[day] = box
        days.addStretch(1)
        self._layout.addLayout(days)
        self._layout.addWidget(self._error_slot("Weekdays", "weekdays"))

        zone_row = QHBoxLayout()
        zone_label = QLabel("Time zone", self)
        self.zone_combo = QComboBox(self)
        self.zone_combo.setEditable(True)
        self.zone_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.zone_combo.setAccessibleName("Time zone")
        zone_line = self.zone_combo.lineEdit()
        assert zone_line is not None  # editable
        zone_line.setAccessibleName("Time zone")
        # A string-list model: some 600 zones as QStandardItems cost milliseconds per editor.
        self.zone_combo.setModel(QStringListModel([LOCAL_ZONE, *_zone_names()], self.zone_combo))
        completer = QCompleter(self.zone_combo.model(), self.zone_combo)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.zone_combo.setCompleter(completer)
        zone_label.setBuddy(self.zone_combo)
        self.zone_combo.currentTextChanged.connect(self._edited)
        zone_row.addWidget(zone_label)
        zone_row.addWidget(self.zone_combo, 1)
        self._layout.addLayout(zone_row)
        self._layout.addWidget(self._error_slot("Time zone", "timezone"))

    def _time_edit(self, name: str) -> QTimeEdit:
        edit = QTimeEdit(self)
        edit.setDisplayFormat(_FORMAT)
        edit.setAccessibleName(name)
        edit.timeChanged.connect(self._edited)
        return edit

    def _load(self, data: Json) -> None:
        self._loaded_clock = {}
        for edit, key, default in ((self.from_edit, "from", "09:00"), (self.to_edit, "to", "17:00")):
            text = str(data.get(key, default))
            try:
                clock = parse_clock(text)
            except ValueError:
                clock = parse_clock(default)
            else:
                self._loaded_clock[edit] = text
            edit.setTime(QTime(clock.hour, clock.minute))
        given = {str(d).lower() for d in data.get("weekdays", WEEKDAYS)}
        for day, box in self.day_boxes.items():
            box.setChecked(day in given)
        zone = data.get("timezone")
        if zone:
            self.zone_combo.setCurrentIndex(max(0, self.zone_combo.findText(str(zone))))
            self.zone_combo.setEditText(str(zone))
        else:
            self.zone_combo.setCurrentIndex(0)

    def _clock(self, edit: QTimeEdit) -> str:
        shown = edit.time().toString(_FORMAT)
        loaded = self._loaded_clock.get(edit)
        if loaded is not None and parse_clock(loaded) == parse_clock(shown):
            return loaded
        return shown

    def timezone(self) -> str | None:
        text = self.zone_combo.currentText().strip()
        return None if text in ("", LOCAL_ZONE) else text

    def value(self) -> Json:
        out: Json = {"type": "time", "from": self._clock(self.from_edit),
                     "to": self._clock(self.to_edit)}
        days = [day for day, box in self.day_boxes.items() if box.isChecked()]
        if len(days) != len(WEEKDAYS):  # all seven are the default, and to_dict omits them
            out["weekdays"] = days
        zone = self.timezone()
        if zone is not None:
            out["timezone"] = zone
        return out

    def _own_problems(self) -> list[Problem]:
        if not any(box.isChecked() for box in self.day_boxes.values()):
            return [("weekdays", "tick at least one day")]
        return []

    def focus_widgets(self) -> list[QWidget]:
        return [self.from_edit, self.to_edit, *self.day_boxes.values(), self.zone_combo]
