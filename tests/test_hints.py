"""Every "how to fix" names something that exists: a CLI option or a project-file key.

The catalogue is the text of the code itself: every string literal (and f-string
part) in ``xsland/`` is scanned for ``--flags``, ``[section] key`` references and
``key = "value"`` / ``key='value'`` settings.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import click
import geopandas as gpd
import pandas as pd
import pytest
import shapely

import xsland
from xsland.cli import main
from xsland.read.validate import validate_layer
from xsland.rules.policy import DEFAULT_POLICY
from xsland.rules.project import INPUT_KEYS, OPTION_KEYS, PROJECT_KEYS, RASTER_KEYS
from xsland.rules.schema import KINDS

PACKAGE = Path(xsland.__file__).parent
FLAG = re.compile(r"(?<![\w-])--([a-z][a-z0-9]*(?:-[a-z0-9]+)*)")
SECTION_KEY = re.compile(r"\[(project|options|policy|raster|inputs(?:\.\w+)?)\]\s+(\w+)")
PROSE = {"and", "of", "or", "the", "table", "section", "to", "in", "with", "for", "instead"}
SETTING = re.compile(r"\b(\w+)\s*=\s*['\"](\w+)['\"]")


def _cli_flags(command: click.Command) -> set[str]:
    flags = {o for p in command.params for o in (*p.opts, *p.secondary_opts)}
    for sub in getattr(command, "commands", {}).values():
        flags |= _cli_flags(sub)
    return flags | {"--help", "--version"}


def _texts() -> list[tuple[str, str]]:
    """``(module, text)`` of every string literal in the package, f-string parts joined."""
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.JoinedStr):
                parts = [v.value if isinstance(v, ast.Constant) else "{}" for v in node.values]
                out.append((path.name, "".join(map(str, parts))))
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                out.append((path.name, node.value))
    return out


def _own_flags(module: str) -> set[str]:
    """Flags of a module's own command line (``python -m xsland.tools.docs --check``, the
    writers' worker script ``worker.py gpkg PLAN OUT --more``)."""
    from xsland.write.worker import MORE

    return {"docs.py": {"--check"}, "worker.py": {MORE}}.get(module, set())


def test_the_catalogue_is_not_empty():
    texts = _texts()
    flags = {f for _, t in texts for f in FLAG.findall(t)}
    assert {"overwrite", "rename-duplicates", "drop-empty", "crs", "out"} <= flags


def _unknown_flags(texts: list[tuple[str, str]], real: set[str]) -> list[tuple[str, str]]:
    return sorted(
        {
            (module, f"--{flag}")
            for module, text in texts
            for flag in FLAG.findall(text)
            if f"--{flag}" not in real | _own_flags(module)
        }
    )


def test_every_flag_named_in_the_code_is_a_real_cli_option():
    assert _unknown_flags(_texts(), _cli_flags(main)) == []


def test_every_project_file_key_named_in_the_code_exists():
    known = {
        "project": set(PROJECT_KEYS),
        "options": set(OPTION_KEYS),
        "policy": {f for f in DEFAULT_POLICY.__dataclass_fields__},
        "raster": set(RASTER_KEYS),
    }
    bad = []
    for module, text in _texts():
        for section, key in SECTION_KEY.findall(text):
            if key in PROSE:  # "the [inputs] of the project file"
                continue
            keys = (
                set(KINDS)
                if section == "inputs"
                else set(INPUT_KEYS)
                if section.startswith("inputs.")
                else known[section]
            )
            if key not in keys:
                bad.append((module, f"[{section}] {key}"))
        for key, value in SETTING.findall(text):
            allowed = OPTION_KEYS.get(key)
            if key in OPTION_KEYS and allowed is not None and value not in allowed:
                bad.append((module, f"{key} = {value!r}"))
    assert bad == []


def test_the_checker_catches_a_made_up_flag():
    fake = [("validate.py", "Fix: pass --drop-empties, or --rename-duplicates (-2, -3 …)")]
    assert _unknown_flags(fake, _cli_flags(main)) == [("validate.py", "--drop-empties")]


def test_the_null_geometry_hint_works_as_it_says(tmp_path):
    parcels = gpd.GeoDataFrame(
        {"parcel_id": ["A", "B"]},
        geometry=[shapely.box(535_000, 3_496_000, 535_100, 3_496_100), None],
        crs="EPSG:4549",
    )
    with pytest.raises(xsland.errors.ValidationError) as err:
        validate_layer(parcels, "parcels")
    hint = str(err.value)
    flags = FLAG.findall(hint)
    assert flags == ["drop-empty"] and 'empty_geometry = "drop" in [options]' in hint
    dropped = validate_layer(parcels, "parcels", empty_geometry="drop")
    assert dropped["parcel_id"].tolist() == ["A"]


@pytest.mark.parametrize(
    ("ids", "expected"),
    [
        # P-2 is taken, so the second P becomes P-3
        (["P", "P", "P-2"], ["P", "P-3", "P-2"]),
        (["P", "P", "P"], ["P", "P-2", "P-3"]),
        # both later rows are duplicates; neither may take a name in use
        (["P", "P-2", "P", "P-2"], ["P", "P-2", "P-3", "P-2-2"]),
        (["A", "B"], ["A", "B"]),
    ],
)
def test_renaming_duplicates_always_gives_unique_ids(ids, expected):
    parcels = gpd.GeoDataFrame(
        {"parcel_id": ids},
        geometry=[
            shapely.box(535_000 + 200 * i, 3_496_000, 535_100 + 200 * i, 3_496_100)
            for i in range(len(ids))
        ],
        crs="EPSG:4549",
    )
    out = validate_layer(parcels, "parcels", duplicates="rename")
    assert out["parcel_id"].tolist() == expected
    assert out["parcel_id"].is_unique
    assert pd.Series(ids).tolist() == parcels["parcel_id"].tolist()  # input unchanged
