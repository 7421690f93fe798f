"""Atomic writers: nothing half-written, nothing overwritten unasked."""

from __future__ import annotations

import openpyxl
import pandas as pd
import pytest

from xsland.errors import OutputExistsError
from xsland.write.report import atomic_dir, atomic_file, write_table


def test_atomic_file_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "a.csv"
    with pytest.raises(RuntimeError), atomic_file(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("boom")
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_atomic_dir_keeps_old_output_when_run_fails(tmp_path):
    out = tmp_path / "out"
    with atomic_dir(out) as tmp:
        (tmp / "x.txt").write_text("first")
    with pytest.raises(OutputExistsError, match=r"exists; pass --overwrite"):
        with atomic_dir(out):
            pass
    with pytest.raises(ZeroDivisionError), atomic_dir(out, overwrite=True) as tmp:
        (tmp / "x.txt").write_text("second")
        raise ZeroDivisionError("run failed")
    assert (out / "x.txt").read_text() == "first"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    with atomic_dir(out, overwrite=True) as tmp:
        (tmp / "y.txt").write_text("second")
    assert sorted(p.name for p in out.iterdir()) == [".xsland-output", "y.txt"]  # + the marker


def test_write_table_xlsx_frozen_header_and_widths(tmp_path):
    df = pd.DataFrame({"园区名称": ["东亭智能装备产业园"], "area_mu": [15.0]})
    path = write_table(df, tmp_path / "t.xlsx", sheet="园区")
    ws = openpyxl.load_workbook(path)["园区"]
    assert ws.freeze_panes == "A2"
    assert ws["A2"].value == "东亭智能装备产业园"
    assert ws.column_dimensions["A"].width == 20  # 9 CJK characters × 2 + 2
    csv = write_table(df, tmp_path / "t.csv")
    assert csv.read_bytes().startswith(b"\xef\xbb\xbf")  # BOM: Excel opens it as UTF-8
    with pytest.raises(OutputExistsError):
        write_table(df, csv, overwrite=False)
    with pytest.raises(OSError, match=r"write .csv or .xlsx"):
        write_table(df, tmp_path / "t.ods")
