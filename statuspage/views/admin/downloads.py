"""Files the console hands out: CSV exports that a spreadsheet opens without running anything."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from flask import Response


def spreadsheet_cell(text: str) -> str:
    """Text for a CSV cell that a spreadsheet will not run as a formula (CSV injection)."""
    return "'" + text if text[:1] in {"=", "+", "-", "@", "\t", "\r"} else text


def csv_download(
    filename: str, header: Sequence[str], rows: Iterable[Sequence[object]]
) -> Response:
    """A CSV attachment; every text cell goes through spreadsheet_cell."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([spreadsheet_cell(cell) if isinstance(cell, str) else cell for cell in row])
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
