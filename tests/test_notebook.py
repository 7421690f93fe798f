"""The walkthrough notebook runs from top to bottom, so it can never go stale."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "01_xishan_walkthrough.ipynb"


def test_walkthrough_notebook_runs(tmp_path):
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert not any(c.get("outputs") for c in nb.cells if c.cell_type == "code")  # kept clean
    NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    out = tmp_path / "walkthrough"
    assert {"audit.gpkg", "audit.xlsx", "map.html", "report.html"} <= {
        p.name for p in (out / "audit").iterdir()
    }
    assert (out / "diff" / "diff.xlsx").is_file()
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert errors == []
    # the audit cell shows the oversize park failing its area check
    text = "".join(
        o.get("data", {}).get("text/plain", "")
        for c in nb.cells
        for o in c.get("outputs", [])
        if o.get("output_type") == "execute_result"
    )
    assert "XS01" in text and "fail" in text
