"""A report as CSV (one line per cell, for a donor's own tools) and as an XLSX workbook (one sheet
per table, written with XlsxWriter). A suppressed cell is empty with `suppressed` set in the CSV and
`x` in the workbook, the statistical offices' mark."""

from __future__ import annotations

import csv
import io

import xlsxwriter

from services.reporting.core.tables import Report, Table

SUPPRESSED_MARK = "x"
CSV_COLUMNS = ["table", "unit", "currency", "row", "column", "value", "suppressed"]


def report_csv(report: Report) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")  # RFC 4180
    writer.writerow(CSV_COLUMNS)
    for table in report.tables:
        for row in [*table.rows, table.total]:
            for column, value in zip(table.columns, row.values, strict=True):
                suppressed = value is None and not _median_without_completions(table, column, row.values)
                writer.writerow(
                    [
                        table.id,
                        table.unit,
                        table.currency or "",
                        row.key,
                        column,
                        "" if value is None else value,
                        "yes" if suppressed else "no",
                    ]
                )
    return out.getvalue()


def _median_without_completions(table: Table, column: str, values: list[int | float | None]) -> bool:
    """A median over no completion is empty, not suppressed."""
    if not column.startswith("median"):
        return False
    completed = values[table.columns.index("completed")]
    return completed == 0


def report_xlsx(report: Report) -> bytes:
    out = io.BytesIO()
    workbook = xlsxwriter.Workbook(out, {"in_memory": True})
    bold = workbook.add_format({"bold": True})
    title = workbook.add_format({"bold": True, "font_size": 14})
    summary = workbook.add_worksheet("Summary")
    summary.set_column(0, 0, 28)
    summary.set_column(1, 1, 90)
    summary.write(0, 0, f"Programme {report.programme_id}", title)
    lines = [
        ("Period", f"{report.period_from.isoformat()} to {report.period_to.isoformat()} (days included)"),
        ("Small cells", report.suppression_rule),
        ("Suppressed cells show", SUPPRESSED_MARK),
        ("Money", "in minor units of the table's currency (cents for EUR)"),
        ("Not reported", "; ".join(report.not_reported) or "-"),
    ]
    checkpoint = report.ledger_checkpoint
    if checkpoint is not None:
        lines.append(
            (
                "Ledger checkpoint",
                f"number {checkpoint.number}, {checkpoint.entry_count} entries, signed"
                f" {checkpoint.signed_at.isoformat()} (key {checkpoint.key_id}),"
                f" root {checkpoint.merkle_root}",
            )
        )
    for i, (label, text) in enumerate(lines, start=2):
        summary.write(i, 0, label, bold)
        summary.write(i, 1, text)
    for table in report.tables:
        _sheet(workbook, table, bold, title)
    workbook.close()
    return out.getvalue()


def _sheet(workbook: xlsxwriter.Workbook, table: Table, bold: object, title: object) -> None:
    name = table.id[:31] if table.currency is None else f"{table.id[:27]} {table.currency}"
    sheet = workbook.add_worksheet(name)
    sheet.set_column(0, len(table.columns), 22)
    sheet.write(0, 0, table.title, title)
    sheet.write(1, 0, f"unit: {table.unit}" + (f"; currency: {table.currency}" if table.currency else ""))
    sheet.write_row(3, 0, ["", *table.columns], bold)
    for r, row in enumerate([*table.rows, table.total], start=4):
        sheet.write(r, 0, row.key, bold if row.key == "total" else None)
        for c, value in enumerate(row.values, start=1):
            if value is None:
                empty = _median_without_completions(table, table.columns[c - 1], row.values)
                sheet.write_string(r, c, "" if empty else SUPPRESSED_MARK)
            else:
                sheet.write_number(r, c, value)
