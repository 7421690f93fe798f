"""The HTML report's markup lives in Jinja2 templates with autoescaping, never in Python
strings (issue 13 item 8): escaping is the default, not a habit."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from xsland.write import htmlreport

PACKAGE = Path(htmlreport.__file__).parent
TEMPLATES = PACKAGE.parent / "templates"
MODULES = sorted(PACKAGE.glob("*.py"))
#: An HTML tag; a regular expression's named group ``(?P<n>…)`` is not one.
TAG = re.compile(r"(?<!\?P)<[a-zA-Z][a-zA-Z0-9]*[\s>/]")


def _strings(tree: ast.AST) -> list[tuple[int, str]]:
    """Every string literal, f-string parts included, with its line."""
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    ]


def test_the_package_has_the_modules_of_its_layout():
    names = {p.stem for p in MODULES}
    assert {"__init__", "charts", "sections", "page"} <= names


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_no_python_string_holds_an_html_tag(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = [(line, text[:60]) for line, text in _strings(tree) if TAG.search(text)]
    assert found == []


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_nothing_is_marked_safe_in_python(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in (
            node.names if isinstance(node, ast.Import) else [ast.alias(node.module or "")]
        )
    }
    assert "markupsafe" not in imported
    calls = [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and getattr(node.func, "attr", getattr(node.func, "id", "")) in ("Markup", "mark_safe")
    ]
    assert calls == []


def test_no_report_template_marks_text_safe():
    templates = sorted(TEMPLATES.glob("report_*.html.j2")) + [TEMPLATES / "_macros.html.j2"]
    assert len(templates) >= 10
    for path in templates:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"\|\s*safe\b|Markup|autoescape\s+false", text), path.name


def test_the_scan_would_see_a_tag_and_a_markup_call():
    tree = ast.parse("x = f'<td class=\"n\">{v}</td>'\ny = Markup(s)")
    assert [t for _, t in _strings(tree) if TAG.search(t)]
    assert any(
        isinstance(n, ast.Call) and getattr(n.func, "id", "") == "Markup" for n in ast.walk(tree)
    )
    assert not TAG.search("a < b and 3<4, x <= y, (?P<n>\\d+)")


def test_the_templates_escape_by_default():
    env = htmlreport.page.templates()
    assert env.autoescape is True
    macro = env.get_template("_macros.html.j2").module
    assert str(macro.bi("<b>", "&")) == '&lt;b&gt; <span class="en">&amp;</span>'
    cell = str(macro.cell({"code": "<i>"})) + str(macro.cell("<i>"))
    assert "<i>" not in cell and cell.count("&lt;i&gt;") == 2


#: Every other writer (maps, diff, Excel, GeoPackage …): markup in templates too. The one
#: exception is a tile provider's attribution, a constant Leaflet shows as given.
WRITERS = sorted(PACKAGE.parent.glob("*.py"))
ALLOWED = {
    (
        "maps.py",
        "© <a href='https://www.openstreetmap.org/copyright'>OpenStreetMap</a> contributors",
    )
}


def _docstrings(tree: ast.AST) -> set[int]:
    """The ids of the docstring constants of a module, its classes and functions."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


@pytest.mark.parametrize("path", WRITERS, ids=lambda p: p.name)
def test_no_writer_string_holds_an_html_tag(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docs = _docstrings(tree)
    found = [
        (path.name, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docs
        and TAG.search(node.value)
    ]
    assert [f for f in found if f not in ALLOWED] == []


def test_the_writer_scan_sees_markup_outside_docstrings():
    tree = ast.parse('"""<b>doc</b>"""\ndef f():\n    """<i>doc</i>"""\n    return "<td>x</td>"')
    docs = _docstrings(tree)
    strings = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and id(n) not in docs]
    assert [s for s in strings if TAG.search(s)] == ["<td>x</td>"]
