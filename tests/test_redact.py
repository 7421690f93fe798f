"""Passwords never shown: one redaction function for every connection-string form."""

from __future__ import annotations

import string
from urllib.parse import quote

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xsland._redact import redact
from xsland.cli import main

# Passwords that start with a marker no other part of a message contains, followed by any
# printable characters except white space (a raw space ends a URI in running text).
_CHARS = string.ascii_letters + string.digits + string.punctuation + "密码é€"
passwords = st.builds(lambda s: "Zq9" + s, st.text(alphabet=_CHARS, min_size=3, max_size=24))
schemes = st.sampled_from(
    ["postgresql", "postgres", "postgresql+psycopg", "postgresql+psycopg2", "postgresql+asyncpg"]
)


def _forms(scheme: str, pw: str) -> list[str]:
    """Every way a password is written into a connection string, valid or not."""
    quoted = pw.replace("\\", "\\\\").replace("'", "\\'")
    return [
        f"{scheme}://planner:{quote(pw, safe='')}@db.example:5432/cadastre",  # encoded
        f"{scheme}://planner:{pw}@db.example:5432/cadastre",  # raw: %, @, / … break decoding
        f"{scheme}://planner@db.example/cadastre?sslmode=require&password={quote(pw, safe='')}",
        f"{scheme}://planner@db.example/cadastre?password={pw}",
        f"PG:host=db.example dbname=cadastre user=planner password='{quoted}'",
        f"host=db.example dbname=cadastre password='{quoted}' port=5432",
        f"PG:host=db.example password={pw}",
        f"PGPASSWORD={pw}",
        f"{scheme}://planner:{pw} with space@db.example/cadastre",  # raw space
        f"{scheme}://planner:{pw}@h1/a and {scheme}://planner:{pw}@h2/b",  # two on a line
    ]


@given(scheme=schemes, pw=passwords)
@settings(max_examples=300, deadline=None)
def test_no_password_survives_redaction_in_any_form(scheme, pw):
    for form in _forms(scheme, pw):
        for text in (form, f"cannot connect to {form}: refused", f"'{form}'", f"({form})"):
            out = redact(text)
            assert pw not in out and quote(pw, safe="") not in out, (text, out)
            assert "***" in out


def test_redaction_is_idempotent():
    # a message built with the URI redacted, then redacted whole at the boundary
    message = f"cannot read {redact('postgresql://u:p@ss@h/db')}. Fix: write @ as %40"
    assert message == "cannot read postgresql://u:***@h/db. Fix: write @ as %40"
    assert redact(message) == message


def test_redaction_keeps_what_is_not_secret():
    assert redact("postgresql+psycopg://u:p%w@h:5/db") == "postgresql+psycopg://u:***@h:5/db"
    assert redact("PG:host=h dbname=d password=x") == "PG:host=h dbname=d password=***"
    assert redact("parcels.gpkg, layer 'parks': 3 rows pass") == (
        "parcels.gpkg, layer 'parks': 3 rows pass"
    )
    assert redact("postgresql://u@h/db") == "postgresql://u@h/db"


@pytest.mark.parametrize(
    "form",
    [
        "postgresql+psycopg://planner:{pw}@127.0.0.1:1/cadastre",
        "postgresql://planner:{pw}@127.0.0.1:1/cadastre",
        "postgresql://planner@127.0.0.1:1/cadastre?password={pw}",
        "PG:host=127.0.0.1 port=1 password={pw}",
        "host=127.0.0.1 port=1 password='{pw}'",
    ],
)
@given(pw=passwords)
@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_no_password_in_any_cli_output(tmp_path, form, pw):
    uri = form.format(pw=pw)
    out = tmp_path / "o"
    runs = [
        ["audit", "--parks", uri, "--table", "parks=public.parks", "--parcels", uri]
        + ["--table", "parcels=public.parcels", "--out", str(out), "--no-progress"],
        ["audit", "--parks", uri, "--parcels", uri, "--out", str(out)],
        ["audit", "--parks", "x.gpkg", "--parcels", "y.gpkg", "--out", str(out)]
        + ["--to-postgis", uri],
        ["-v", "check", uri],
    ]
    for args in runs:
        result = CliRunner().invoke(main, args)
        assert result.exit_code != 0
        assert pw not in result.output and quote(pw, safe="") not in result.output, result.output
        assert "Traceback" not in result.output
    assert not out.exists()


@pytest.mark.parametrize(
    "form",
    [
        "postgresql+psycopg://planner:{pw}@127.0.0.1:1/cadastre",
        "postgresql://planner:{pw}@127.0.0.1:1/cadastre",
        "postgresql://planner@127.0.0.1:1/cadastre?password={pw}",
        "postgresql://planner:{pw}%zz@127.0.0.1:1/cadastre",  # a raw % libpq cannot decode
        "PG:host=127.0.0.1 port=1 password={pw}",
        "host=127.0.0.1 port=1 password='{pw}'",
    ],
)
def test_an_unreachable_to_postgis_is_refused_first_without_its_password(tmp_path, form):
    import geopandas as gpd
    import shapely

    pw = "Zq9p@ss%w/rd:é"
    gpkg = tmp_path / "in.gpkg"
    box = shapely.box(535_000, 3_496_000, 535_100, 3_496_100)
    gpd.GeoDataFrame(
        {"park_id": ["K1"], "name": ["一园"], "park_type": ["片区型"], "town": ["东亭街道"]},
        geometry=[box],
        crs="EPSG:4549",
    ).to_file(gpkg, layer="parks")
    gpd.GeoDataFrame({"parcel_id": ["A"]}, geometry=[box], crs="EPSG:4549").to_file(
        gpkg, layer="parcels"
    )
    uri = form.format(pw=pw)
    out = tmp_path / "o"
    args = ["audit", "--parks", str(gpkg), "--parcels", str(gpkg), "--out", str(out)]
    result = CliRunner().invoke(main, [*args, "--no-progress", "--to-postgis", uri])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and "Fix:" in result.output
    for secret in (pw, quote(pw, safe=""), "p@ss", "rd:"):
        assert secret not in result.output
    assert not out.exists()
