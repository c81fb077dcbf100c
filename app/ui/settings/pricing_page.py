"""Settings page: what each cloud model costs, in US dollars per million tokens.

The table lists every known target: the shipped prices with the user's overrides on top.
Edits stay on the page until Save, which sends the overrides (every entry that differs
from the shipped price, or that has no shipped price) to ``Preferences.save_prices``.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QLocale, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QFont, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.controller.preferences import Preferences
from app.core.pricing import Price, PricingError, parse_price
from app.core.settings import SettingsError
from app.ui import theme
from app.ui.settings.local_models_page import ProblemLabel
from app.ui.settings.save_bar import SaveBar

__all__ = ["AddPriceDialog", "PricingPage"]

COL_TARGET, COL_INPUT, COL_OUTPUT, COL_SOURCE, COL_ACTION = range(5)
# Every column says what it holds: a blank header left people guessing at the last two.
HEADERS = ("Model", "Input $/M tokens", "Output $/M tokens", "Price from", "Change back")
HEADER_TIPS = ("The model, as provider:model",
               "US dollars per million tokens sent to the model (your messages and the chat so far)",
               "US dollars per million tokens the model writes",
               "Switchboard's price list, or you (a price you changed or added)",
               "Go back to Switchboard's price, or remove a price you added")
SHIPPED_WORDS, CHANGED_WORDS, ADDED_WORDS = "Switchboard", "you (changed)", "you (added)"
PRICE_MAX = 100_000.0
PRICE_DECIMALS = 4
_TARGET_ROLE = Qt.ItemDataRole.UserRole
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


def format_price(value: float) -> str:
    """$ per million tokens with at least two decimals: 2.5 → "2.50", 0.075 → "0.075"."""
    text = f"{value:.{PRICE_DECIMALS}f}".rstrip("0")
    whole, _, cents = text.partition(".")
    return f"{whole}.{cents.ljust(2, '0')}"


def _price_spin(accessible_name: str, parent: QWidget | None = None) -> QDoubleSpinBox:
    spin = QDoubleSpinBox(parent)
    spin.setRange(0.0, PRICE_MAX)
    spin.setDecimals(PRICE_DECIMALS)
    spin.setSingleStep(0.05)
    spin.setPrefix("$")
    spin.setAccessibleName(accessible_name)
    spin.setToolTip(f"{accessible_name}, in US dollars per million tokens.")
    return spin


class _PriceDelegate(QStyledItemDelegate):
    """Edits a price cell with a QDoubleSpinBox and shows it as "$2.50"."""

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem,
                     index: QModelIndex | QPersistentModelIndex) -> QWidget:
        side = "Input" if index.column() == COL_INPUT else "Output"
        target = index.sibling(index.row(), COL_TARGET).data(_TARGET_ROLE)
        spin = _price_spin(f"{side} price for {target}", parent)
        spin.setFrame(False)
        return spin

    def displayText(self, value: object, locale: QLocale | QLocale.Language) -> str:
        if isinstance(value, float | int) and not isinstance(value, bool):
            return f"${format_price(float(value))}"
        return super().displayText(value, locale)


class AddPriceDialog(QDialog):
    """Ask for a target that is not listed yet and its two prices; checked before accepting."""

    sig_price_added = Signal(str, float, float)
    """target, input and output price in US dollars per million tokens."""

    def __init__(self, known: set[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._known = known
        self.setWindowTitle("Add a price")
        self.setMinimumWidth(420)
        self.target = QLineEdit()
        self.target.setPlaceholderText("provider:model")
        self.target.setAccessibleName("Target")
        self.target.setToolTip("The model to price, as provider:model (e.g. openai:gpt-4o).")
        self.input_price = _price_spin("Input price")
        self.output_price = _price_spin("Output price")
        form = QFormLayout()
        form.addRow("&Target:", self.target)
        form.addRow("&Input $/M tokens:", self.input_price)
        form.addRow("&Output $/M tokens:", self.output_price)
        self.problem = ProblemLabel()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText("Add")
        ok.setAccessibleName("Add this price")
        ok.setToolTip("Add the price to the table (Save on the page keeps it).")
        cancel = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        cancel.setAccessibleName("Cancel adding a price")
        cancel.setToolTip("Close without adding a price.")
        self.buttons.accepted.connect(self._check_and_accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)

    def _check_and_accept(self) -> None:
        target = self.target.text().strip()
        if not target:
            self.problem.show_problem('Type the model as "provider:model" first.')
            return
        if target in self._known:
            self.problem.show_problem(f"{target} is listed already: edit its row instead.")
            return
        try:
            price = parse_price(target, {"input": self.input_price.value(),
                                         "output": self.output_price.value()}, "Model")
        except PricingError as error:
            self.problem.show_problem(str(error))
            return
        self.problem.clear_problem()
        self.sig_price_added.emit(target, price.input_per_mtok, price.output_per_mtok)
        self.accept()


class PricingPage(QWidget):
    sig_changed = Signal()
    """Emitted after the prices were saved."""

    def __init__(self, prefs: Preferences, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._prefs = prefs
        self._defaults: dict[str, Price] = {}
        self._values: dict[str, Price] = {}
        self._saved: dict[str, dict[str, float]] = {}
        self._filling = False
        self.add_dialog: AddPriceDialog | None = None

        self.intro = QLabel("Prices in US dollars per million tokens, used for the cost of "
                            "each reply. Providers change prices: edit any row to match "
                            "your bill. Local models are always free.")
        self.intro.setWordWrap(True)
        self.intro.setAccessibleName("About prices")

        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Find a model…")
        self.filter.setClearButtonEnabled(True)
        self.filter.setAccessibleName("Find a model")
        self.filter.setToolTip("Show only the targets whose name contains this text.")
        self.filter.textChanged.connect(self._apply_filter)
        self.add_button = QPushButton("Add price…")
        self.add_button.setAccessibleName("Add a price for another model")
        self.add_button.setToolTip("Price a provider:model that is not in the list.")
        self.add_button.clicked.connect(self.open_add_dialog)
        top = QHBoxLayout()
        top.addWidget(self.filter, 1)
        top.addWidget(self.add_button)

        self.table = QTableWidget(0, len(HEADERS))
        self.table.setHorizontalHeaderLabels(list(HEADERS))
        for column, tip in enumerate(HEADER_TIPS):
            header_item = self.table.horizontalHeaderItem(column)
            if header_item is not None:
                header_item.setToolTip(tip)
        self.table.setAccessibleName("Prices")
        self.table.setToolTip("Double-click a price to change it.")
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                   | QAbstractItemView.EditTrigger.EditKeyPressed
                                   | QAbstractItemView.EditTrigger.AnyKeyPressed)
        self._delegate = _PriceDelegate(self.table)
        self.table.setItemDelegateForColumn(COL_INPUT, self._delegate)
        self.table.setItemDelegateForColumn(COL_OUTPUT, self._delegate)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(COL_TARGET, QHeaderView.ResizeMode.Stretch)
        for column in (COL_INPUT, COL_OUTPUT, COL_SOURCE, COL_ACTION):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.table.itemChanged.connect(self._on_item_changed)

        self.problem = ProblemLabel()
        buttons = SaveBar("prices", "Undo the price changes since the last save.",
                          "Save the prices that differ from the shipped ones.")
        self.status, self.revert_button, self.save_button = buttons.status, buttons.revert_button, buttons.save_button
        self.revert_button.clicked.connect(self.revert)
        self.save_button.clicked.connect(self.save)

        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.problem)
        layout.addLayout(buttons)
        self._apply_colours()
        self.reload()

    # ---- public ----------------------------------------------------------------------

    def reload(self) -> None:
        """Show the saved prices again, dropping edits."""
        self._defaults = dict(self._prefs.default_prices())
        self._values = dict(self._prefs.prices)
        self._saved = self.overrides()  # what is saved, as the page would write it
        self.problem.clear_problem()
        self._rebuild()

    def revert(self) -> None:
        self.reload()
        self.status.clear()

    def targets(self) -> list[str]:
        """The targets in table order (filtered-out rows included)."""
        return [self._item(row, COL_TARGET).data(_TARGET_ROLE)
                for row in range(self.table.rowCount())]

    def row_of(self, target: str) -> int:
        """The row showing ``target``, or -1."""
        for row in range(self.table.rowCount()):
            if self._item(row, COL_TARGET).data(_TARGET_ROLE) == target:
                return row
        return -1

    def price_of(self, target: str) -> Price | None:
        """The price on the page (edited, maybe unsaved)."""
        return self._values.get(target)

    def set_price(self, target: str, input_per_mtok: float, output_per_mtok: float) -> None:
        """Change (or add) a row's price on the page, as editing the cells would."""
        self._values[target] = Price(float(input_per_mtok), float(output_per_mtok))
        if self.row_of(target) < 0:
            self._rebuild()
        else:
            self._fill_row(self.row_of(target))
        self._after_edit()

    def reset_to_default(self, target: str) -> None:
        """Back to the shipped price; a target with no shipped price leaves the list."""
        if target in self._defaults:
            self._values[target] = self._defaults[target]
            self._fill_row(self.row_of(target))
        else:
            self._values.pop(target, None)
            self._rebuild()
        self._after_edit()

    def overrides(self) -> dict[str, dict[str, float]]:
        """What Save sends: every price that differs from the shipped one or has none."""
        return {target: {"input": price.input_per_mtok, "output": price.output_per_mtok}
                for target, price in sorted(self._values.items())
                if self._is_custom(target)}

    def is_changed(self) -> bool:
        return self.overrides() != self._saved

    def open_add_dialog(self) -> AddPriceDialog:
        if self.add_dialog is not None:
            self.add_dialog.close()
            self.add_dialog.deleteLater()
        self.add_dialog = AddPriceDialog(set(self._values), self)
        self.add_dialog.sig_price_added.connect(self._on_price_added)
        self.add_dialog.open()
        return self.add_dialog

    def save(self) -> None:
        if not self.is_changed():
            return
        overrides = self.overrides()
        self.problem.clear_problem()
        try:
            self._prefs.save_prices(overrides)
        except (PricingError, SettingsError) as error:
            self.status.clear()
            self.problem.show_problem(f"The prices were not saved. {error}")
            return
        self.reload()
        self.status.setText("Saved.")
        self.sig_changed.emit()

    # ---- private ---------------------------------------------------------------------

    def _item(self, row: int, column: int) -> QTableWidgetItem:
        item = self.table.item(row, column)
        assert item is not None, (row, column)
        return item

    def _is_custom(self, target: str) -> bool:
        return self._values.get(target) != self._defaults.get(target)

    def _rebuild(self) -> None:
        current = self.table.currentItem()
        selected = (self._item(current.row(), COL_TARGET).data(_TARGET_ROLE)
                    if current is not None else None)
        self._filling = True
        try:
            self.table.setRowCount(0)
            self.table.setRowCount(len(self._values))
            for row, target in enumerate(sorted(self._values)):
                item = QTableWidgetItem(target)
                item.setData(_TARGET_ROLE, target)
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
                self.table.setItem(row, COL_TARGET, item)
                for column in (COL_INPUT, COL_OUTPUT):
                    cell = QTableWidgetItem()
                    cell.setTextAlignment(_RIGHT)
                    self.table.setItem(row, column, cell)
                source = QTableWidgetItem()
                source.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
                self.table.setItem(row, COL_SOURCE, source)
                self._fill_row(row)
        finally:
            self._filling = False
        self._apply_filter(self.filter.text())
        if selected is not None and self.row_of(selected) >= 0:
            self.table.setCurrentCell(self.row_of(selected), COL_TARGET)
        self._update_buttons()

    def _fill_row(self, row: int) -> None:
        target_item = self._item(row, COL_TARGET)
        target = target_item.data(_TARGET_ROLE)
        price = self._values[target]
        default = self._defaults.get(target)
        custom = self._is_custom(target)
        was_filling, self._filling = self._filling, True
        try:
            font = QFont(self.table.font())
            font.setBold(custom)
            for column, side, value in ((COL_INPUT, "Input", price.input_per_mtok),
                                        (COL_OUTPUT, "Output", price.output_per_mtok)):
                cell = self._item(row, column)
                cell.setData(Qt.ItemDataRole.EditRole, value)
                cell.setFont(font)
                shipped = ""
                if default is not None and custom:
                    was = default.input_per_mtok if column == COL_INPUT else default.output_per_mtok
                    shipped = f" (shipped: ${format_price(was)})"
                cell.setToolTip(f"{side} price for {target}, US dollars per million tokens"
                                f"{shipped}. Double-click to change.")
                cell.setData(Qt.ItemDataRole.AccessibleTextRole,
                             f"{side} ${format_price(value)}{' custom' if custom else ''}")
            target_item.setFont(font)
            target_item.setToolTip(f"{target}: {'custom price' if custom else 'shipped price'}")
            target_item.setData(Qt.ItemDataRole.AccessibleTextRole,
                                f"{target}{', custom price' if custom else ''}")
            source = self._item(row, COL_SOURCE)
            source.setText(SHIPPED_WORDS if not custom else CHANGED_WORDS if default is not None
                           else ADDED_WORDS)
            source.setToolTip("You changed this price." if custom and default is not None
                              else "You added this price." if custom
                              else "The price Switchboard ships with.")
            self._colour_source(source, custom)
            source.setData(Qt.ItemDataRole.AccessibleTextRole,
                           "custom price" if custom else "shipped price")
            self._fill_action(row, target, default, custom)
        finally:
            self._filling = was_filling

    def _fill_action(self, row: int, target: str, default: Price | None, custom: bool) -> None:
        # Only custom rows get a button: a column of disabled ones would be noise. (The
        # view shows every cell widget itself, so an unwanted one is removed, not hidden.)
        if not custom:
            self.table.removeCellWidget(row, COL_ACTION)
            return
        button = self.table.cellWidget(row, COL_ACTION)
        if not isinstance(button, QToolButton):
            button = QToolButton()
            button.setAutoRaise(True)
            button.clicked.connect(lambda _=False, t=target: self.reset_to_default(t))
            self.table.setCellWidget(row, COL_ACTION, button)
        if default is None:
            button.setText("Remove")
            button.setAccessibleName(f"Remove the price for {target}")
            button.setToolTip(f"{target} has no shipped price: remove it from the list.")
        else:
            button.setText("Reset to default")
            button.setAccessibleName(f"Reset {target} to the shipped price")
            button.setToolTip("Back to the shipped price: "
                              f"${format_price(default.input_per_mtok)} in, "
                              f"${format_price(default.output_per_mtok)} out.")

    def reset_button(self, target: str) -> QToolButton | None:
        """The row's "Reset to default" (or "Remove") button; None on a shipped price."""
        widget = self.table.cellWidget(self.row_of(target), COL_ACTION)
        return widget if isinstance(widget, QToolButton) else None

    def _on_item_changed(self, item: QTableWidgetItem) -> None:
        if self._filling or item.column() not in (COL_INPUT, COL_OUTPUT):
            return
        target = self._item(item.row(), COL_TARGET).data(_TARGET_ROLE)
        value = item.data(Qt.ItemDataRole.EditRole)
        old = self._values[target]
        try:
            amount = float(value)
        except (TypeError, ValueError):
            amount = -1.0
        if not 0.0 <= amount <= PRICE_MAX:  # only the spin box edits: should not happen
            self._fill_row(item.row())
            return
        self._values[target] = (Price(amount, old.output_per_mtok) if item.column() == COL_INPUT
                                else Price(old.input_per_mtok, amount))
        self._fill_row(item.row())
        self._after_edit()

    def _on_price_added(self, target: str, input_per_mtok: float, output_per_mtok: float) -> None:
        self.filter.clear()
        self.set_price(target, input_per_mtok, output_per_mtok)
        row = self.row_of(target)
        self.table.setCurrentCell(row, COL_TARGET)
        self.table.scrollToItem(self._item(row, COL_TARGET))

    def _after_edit(self) -> None:
        self.status.clear()
        self.problem.clear_problem()
        self._update_buttons()

    def _update_buttons(self) -> None:
        changed = self.is_changed()
        self.save_button.setEnabled(changed)
        self.revert_button.setEnabled(changed)

    def _apply_filter(self, text: str) -> None:
        needle = text.strip().casefold()
        for row in range(self.table.rowCount()):
            target = self._item(row, COL_TARGET).data(_TARGET_ROLE)
            self.table.setRowHidden(row, bool(needle) and needle not in target.casefold())

    def _apply_colours(self) -> None:
        for label in (self.intro, self.status):
            theme.set_foreground(label, theme.muted_text(self.palette()))
        for row in range(self.table.rowCount()):
            target = self._item(row, COL_TARGET).data(_TARGET_ROLE)
            self._colour_source(self._item(row, COL_SOURCE), self._is_custom(target))

    def _colour_source(self, item: QTableWidgetItem, custom: bool) -> None:
        # The shipped price is the usual case: said quietly, so the user's own stand out.
        palette = self.table.palette()
        item.setForeground(palette.color(QPalette.ColorRole.Text) if custom else theme.muted_text(palette))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange:
            self._apply_colours()
        super().changeEvent(event)

