"""A throwaway PostgreSQL + PostGIS server for the tests.

:func:`postgres_server` runs Debian's ``initdb`` in a fresh temporary folder, starts the
server on a free localhost port (its unix socket in the same folder), sets a password for
the superuser and requires it (``scram-sha-256``) on every TCP connection, creates a
database with the PostGIS extension and yields a :class:`PostgresServer` whose ``uri``
carries that password. The server is stopped and the folder removed afterwards.

Run as root (as in CI), the server runs as the ``postgres`` operating-system user, because
``initdb`` refuses to run as root; the folder is handed to that user.

The session fixture ``postgres`` (import it into a test module with
``from postgres_fixture import postgres``) fails — it never skips — when the server
binaries or PostGIS are missing, and says what to install.
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

__all__ = ["PostgresServer", "find_pg_bin", "postgres", "postgres_server"]

INSTALL_HINT = (
    "install the PostgreSQL server and PostGIS: "
    "apt-get install postgresql postgis (Debian: postgresql-15 postgresql-15-postgis-3)"
)
USER = "xsland_test"
DATABASE = "xsland_test"


class PostgresUnavailable(RuntimeError):
    """The server binaries or PostGIS are not installed, or the server did not start."""


@dataclass(frozen=True)
class PostgresServer:
    """A running throwaway server.

    Attributes
    ----------
    uri
        ``postgresql://USER:PASSWORD@127.0.0.1:PORT/DATABASE``.
    host, port, user, password, database
        The parts of ``uri``.
    root
        The temporary folder holding the cluster, its socket and log.
    """

    uri: str
    host: str
    port: int
    user: str
    password: str
    database: str
    root: Path

    def uri_for(self, *, password: str | None = None, database: str | None = None) -> str:
        """The URI with another password or database (``""``: no password in it)."""
        pw = self.password if password is None else password
        auth = f"{self.user}:{pw}" if pw else self.user
        return f"postgresql://{auth}@{self.host}:{self.port}/{database or self.database}"


def find_pg_bin() -> Path:
    """The newest ``/usr/lib/postgresql/<version>/bin`` holding ``initdb`` and ``pg_ctl``.

    Raises
    ------
    PostgresUnavailable
        When there is none (with what to install).
    """
    found = []
    for initdb in glob.glob("/usr/lib/postgresql/*/bin/initdb"):
        folder = Path(initdb).parent
        if (folder / "pg_ctl").exists():
            try:
                found.append((int(folder.parent.name), folder))
            except ValueError:
                found.append((0, folder))
    on_path = shutil.which("initdb")
    if not found and on_path and shutil.which("pg_ctl"):
        return Path(on_path).parent
    if not found:
        raise PostgresUnavailable(f"no PostgreSQL server binaries (initdb, pg_ctl): {INSTALL_HINT}")
    return max(found)[1]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _runner() -> tuple[list[str], pwd.struct_passwd | None]:
    """The command prefix that runs a program as the server's owner, and that owner."""
    if os.geteuid() != 0:
        return [], None
    try:
        owner = pwd.getpwnam("postgres")
    except KeyError as exc:
        raise PostgresUnavailable(
            f"running as root, but there is no 'postgres' user to run the server as: {INSTALL_HINT}"
        ) from exc
    runuser = shutil.which("runuser")
    if runuser:
        return [runuser, "-u", "postgres", "--"], owner
    return ["su", "postgres", "-s", "/bin/sh", "-c"], owner  # pragma: no cover


def _run(prefix: list[str], args: list[str], *, what: str, log: Path | None = None) -> None:
    if prefix and prefix[0] == "su":  # pragma: no cover - runuser is in util-linux
        import shlex

        cmd = [*prefix, " ".join(shlex.quote(a) for a in args)]
    else:
        cmd = [*prefix, *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        tail = ""
        if log is not None and log.exists():
            tail = "\n" + "\n".join(log.read_text(errors="replace").splitlines()[-20:])
        raise PostgresUnavailable(
            f"{what} failed (exit {proc.returncode}): {proc.stderr.strip() or proc.stdout}{tail}"
        )


@contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    """Start a throwaway PostgreSQL server with PostGIS; stop it and clean up afterwards.

    Yields
    ------
    PostgresServer

    Raises
    ------
    PostgresUnavailable
        Missing binaries or PostGIS, or a server that does not start.
    """
    import psycopg

    bin_dir = find_pg_bin()
    prefix, owner = _runner()
    # as root, in /tmp: the server's user must reach the folder (TMPDIR may be root's own)
    base = "/tmp" if owner is not None and os.path.isdir("/tmp") else None
    root = Path(tempfile.mkdtemp(prefix="xsland-pg-", dir=base))
    data, log = root / "data", root / "server.log"
    password = "pw-" + secrets.token_hex(8)
    pwfile = root / "pwfile"
    pwfile.write_text(password + "\n")
    if owner is not None:
        for p in (root, pwfile):
            os.chown(p, owner.pw_uid, owner.pw_gid)
    os.chmod(root, 0o700)
    started = False
    try:
        _run(
            prefix,
            [
                str(bin_dir / "initdb"),
                "-D",
                str(data),
                "-U",
                USER,
                f"--pwfile={pwfile}",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ],
            what="initdb",
        )
        port = _free_port()
        options = (
            f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off"
        )
        _run(
            prefix,
            [
                str(bin_dir / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(log),
                "-o",
                options,
                "-w",
                "start",
            ],
            what="pg_ctl start",
            log=log,
        )
        started = True
        server = PostgresServer(
            uri=f"postgresql://{USER}:{password}@127.0.0.1:{port}/{DATABASE}",
            host="127.0.0.1",
            port=port,
            user=USER,
            password=password,
            database=DATABASE,
            root=root,
        )
        with psycopg.connect(server.uri_for(database="postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{DATABASE}"')
        with psycopg.connect(server.uri, autocommit=True) as conn:
            try:
                conn.execute("CREATE EXTENSION postgis")
            except psycopg.Error as exc:
                raise PostgresUnavailable(
                    f"PostGIS is not available ({exc}): {INSTALL_HINT}"
                ) from exc
        yield server
    finally:
        if started:
            _run(
                prefix,
                [str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                what="pg_ctl stop",
            )
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL + PostGIS server for the whole test session (fails if unavailable)."""
    try:
        with postgres_server() as server:
            yield server
    except PostgresUnavailable as exc:
        pytest.fail(str(exc), pytrace=False)
