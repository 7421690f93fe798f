"""One 亩 constant (issue 13 item 6): 1 亩 = 10000/15 m², declared once in rules.units."""

from __future__ import annotations

import ast
import math
import operator
import re
from pathlib import Path

import pytest

import xsland
from xsland.group import blocks
from xsland.judge import lowuse
from xsland.measure import area
from xsland.read.values import UNITS
from xsland.rules import units
from xsland.rules.units import M2_PER_HA, M2_PER_KM2, M2_PER_MU

PACKAGE = Path(xsland.__file__).parent
HOME = PACKAGE / "rules" / "units.py"

#: The factor and its inverses as a literal may spell them: m² per 亩 (2000/3 = 666.67),
#: 亩 per m² (0.0015), ha per 亩 (1/15).
FACTORS = (2000 / 3, 3 / 2000, 1 / 15)

_OPS = {ast.Div: operator.truediv, ast.Mult: operator.mul}


def _value(node: ast.AST) -> float | None:
    """The value of a numeric literal or of a product/quotient of literals, else None."""
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return float(node.value)
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        a, b = _value(node.left), _value(node.right)
        if a is not None and b is not None and b != 0:
            return _OPS[type(node.op)](a, b)
    return None


def _is_factor(v: float | None) -> bool:
    return v is not None and any(math.isclose(v, f, rel_tol=1e-4) for f in FACTORS)


def mu_literals(source: str) -> list[int]:
    """Lines of ``source`` (Python) holding a literal of the 亩 factor."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Constant, ast.BinOp)) and _is_factor(_value(node)):
            found.add(node.lineno)
    return sorted(found)


#: The same in the page scripts and templates: 2000/3, 3/2000, 666.6…, 0.0015, 10000/15.
_TEXT = re.compile(r"2000\s*/\s*3(?!\d)|(?<![\d.])3\s*/\s*2000|666\.6|0\.0015|10_?000\s*/\s*15")


@pytest.mark.parametrize(
    ("source", "lines"),
    [
        ("M2_PER_MU = 2000 / 3\n", [1]),
        ("x = a / 666.67\ny = a * 0.0015\nz = 10_000 / 15\nw = 1 / 15\n", [1, 2, 3, 4]),
        ("x = a / M2_PER_MU\ny = 15\nz = 2000\n", []),
    ],
)
def test_the_scanner_finds_the_factor_in_any_spelling(source, lines):
    assert mu_literals(source) == lines


def test_the_text_scan_finds_the_page_scripts_old_spelling():
    # (a * 3) / 2000 holds no literal of the factor in Python terms; in scripts the text
    # scan finds it
    assert _TEXT.search("p.area_m2 * 3 / 2000") and _TEXT.search("x / 666.67")
    assert not _TEXT.search("p.area_m2 / D.m2PerMu; y = 12000 / 30")


def test_no_other_literal_of_the_mu_factor_in_the_package():
    bad = []
    for path in sorted(PACKAGE.rglob("*")):
        if path == HOME or not path.is_file():
            continue
        rel = path.relative_to(PACKAGE)
        if path.suffix == ".py":
            bad += [f"{rel}:{n}" for n in mu_literals(path.read_text(encoding="utf-8"))]
        elif path.suffix in {".js", ".html", ".j2", ".css", ".jinja"}:
            text = path.read_text(encoding="utf-8")
            bad += [f"{rel}:{text.count(chr(10), 0, m.start()) + 1}" for m in _TEXT.finditer(text)]
    assert bad == [], "use xsland.rules.units.M2_PER_MU"


def test_one_constant_everywhere():
    assert M2_PER_MU == 10_000 / 15 == M2_PER_HA / 15
    assert M2_PER_KM2 / M2_PER_MU == pytest.approx(1500)
    for module in (area, blocks, lowuse):
        assert module.M2_PER_MU is units.M2_PER_MU and "M2_PER_MU" in module.__all__
    # a header in 亩 is read with the same factor
    assert UNITS["亩"] == ("area", M2_PER_MU)
