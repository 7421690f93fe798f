"""The reference docs are generated from the code and committed: they may not go stale.

A CLI option, command, project-file key or policy rule added without documentation makes
these tests fail; `python -m xsland.tools.docs` regenerates docs/cli.md, docs/project-file.md and
docs/data-contract.md.
"""

from __future__ import annotations

import dataclasses

import click
import pytest

from xsland.cli import main
from xsland.judge.audit import CHECKS
from xsland.rules.policy import Policy
from xsland.rules.schema import KINDS
from xsland.tools import docs

DOCS = docs.default_docs_dir()


@pytest.mark.parametrize("name", sorted(docs.GENERATED))
def test_committed_docs_are_up_to_date(name, tmp_path):
    docs.generate(tmp_path)
    fresh = (tmp_path / name).read_text(encoding="utf-8")
    committed = DOCS / name
    assert committed.is_file(), f"docs/{name} is missing: {docs.REGENERATE}"
    assert committed.read_text(encoding="utf-8") == fresh, (
        f"docs/{name} is stale: {docs.REGENERATE}"
    )


def test_check_reports_nothing():
    problems = docs.check(DOCS)
    assert problems == [], "\n".join(problems)


def _commands(cmd: click.Command, ctx: click.Context, path: str):
    yield path, cmd, ctx
    if isinstance(cmd, click.Group):
        for name in cmd.list_commands(ctx):
            sub = cmd.get_command(ctx, name)
            yield from _commands(
                sub, click.Context(sub, info_name=name, parent=ctx), f"{path} {name}"
            )


def test_every_command_and_option_is_documented():
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    root = click.Context(main, info_name="xsland", **main.context_settings)
    seen = 0
    for path, cmd, ctx in _commands(main, root, "xsland"):
        assert f"## {path}\n" in text, f"command `{path}` is not in docs/cli.md: {docs.REGENERATE}"
        assert cmd.help, f"command `{path}` has no help text"
        for param in cmd.get_params(ctx):
            if isinstance(param, click.Option):
                assert param.help, f"option {param.opts} of `{path}` has no help"
                for opt in param.opts + param.secondary_opts:
                    assert opt in text, f"{opt} of `{path}` is not in docs/cli.md"
                seen += 1
            else:
                assert param.human_readable_name in text
    assert seen >= 30  # every command's options, -h/--help included


def test_every_policy_rule_and_project_key_is_documented():
    text = (DOCS / "project-file.md").read_text(encoding="utf-8")
    for f in dataclasses.fields(Policy):
        assert f"`{f.name}`" in text, f"policy key {f.name} not in docs/project-file.md"
        if f.name != "category_map":
            for key in ("unit", "source", "label"):
                assert f.metadata[key], f"policy key {f.name} has no {key}"
    keys = docs._project_keys()
    assert set(keys["project"]) >= {"name", "out", "crs", "year"}
    assert set(keys["inputs"]) >= {"path", "layer", "sheet", "columns", "crs"}
    assert set(keys["options"]) >= {"duplicates", "empty_geometry"}
    for table, names in keys.items():
        for k in names:
            assert f"`{k}`" in text, f"{table}.{k} not in docs/project-file.md"
            assert docs.KEY_HELP.get(f"{table}.{k}"), f"{table}.{k} has no description"


def test_data_contract_lists_every_column_and_alias():
    text = (DOCS / "data-contract.md").read_text(encoding="utf-8")
    for name, kind in KINDS.items():
        assert f"## {name}\n" in text
        for col in kind.columns:
            for alias in kind.aliases.get(col, (col,)):
                assert f"`{alias}`" in text, (name, col, alias)


def test_rules_describe_every_park_check():
    text = (DOCS / "rules.md").read_text(encoding="utf-8")
    for chk in CHECKS:
        assert f"`{chk}`" in text, f"docs/rules.md does not describe {chk}"
    for clause in ("二(一)1", "二(二)4", "二(二)5", "二(三)7", "二(四)11"):
        assert clause in text


def test_check_finds_stale_and_undocumented(tmp_path, monkeypatch):
    docs.generate(tmp_path)
    (tmp_path / "rules.md").write_text((DOCS / "rules.md").read_text(encoding="utf-8"))
    assert docs.check(tmp_path) == []
    (tmp_path / "cli.md").write_text("old", encoding="utf-8")
    (tmp_path / "data-contract.md").unlink()
    problems = docs.check(tmp_path)
    assert any("cli.md is stale" in p and docs.REGENERATE in p for p in problems)
    assert any("data-contract.md is missing" in p for p in problems)
    # a new option without help, and a project key without a description
    option = click.Option(["--frobnicate"], is_flag=True)
    monkeypatch.setattr(main.commands["demo"], "params", [*main.commands["demo"].params, option])
    monkeypatch.delitem(docs.KEY_HELP, "project.year")
    problems = docs.check(tmp_path)
    assert any("--frobnicate" in p and "no help" in p for p in problems)
    assert any("--frobnicate" in p and "not in cli.md" in p for p in problems)
    assert any("project.year has no description" in p for p in problems)


def test_module_entry_point_regenerates(tmp_path, capsys):
    assert docs.main([str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(docs.GENERATED)
    assert docs.main(["--check", str(tmp_path)]) == 1  # no rules.md there
    assert "rules.md is missing" in capsys.readouterr().err


def test_data_contract_lists_every_output_column():
    from xsland.rules.columns import TABLES

    text = docs.render_data_contract()
    for name, table in TABLES.items():
        assert f"## Output: {name}" in text
        section = text.split(f"## Output: {name}\n", 1)[1].split("\n## ", 1)[0]
        for col in table:
            assert f"| `{col.name}` | {col.dtype} |" in section, (name, col.name)
    assert "| status | `n/a` | 不适用 |" in text
