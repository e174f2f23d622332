"""A built wheel carries what the app reads from disk: pages, assets, catalogues, migrations."""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from app.config import PROJECT_ROOT

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The project's wheel, built once per run: the test processes of a run share it."""
    base = tmp_path_factory.getbasetemp()
    # Under xdist each process's temporary folder lies in a folder of the run's own.
    out = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "wheel"
    # Builds share the source tree's build/ folder: one at a time across test workers.
    with open(PROJECT_ROOT / ".wheel-build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not out.is_dir():
            built = tmp_path_factory.mktemp("wheel")
            _build(built, tmp_path_factory.mktemp("build"))
            built.rename(out)  # whole or not at all, for the other processes
    (wheel,) = out.glob("fieldservice-*.whl")
    return wheel


def _build(out: Path, build: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(PROJECT_ROOT),
        ],
        check=True,
        env={"PATH": "/usr/bin:/bin", "TMPDIR": str(build), "PIP_NO_INPUT": "1"},
        timeout=300,
    )


@pytest.fixture(scope="module")
def wheel_names(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def _repo_files(pattern: str) -> set[str]:
    """Where `pattern` lands in the wheel: under app/, migrations/ of the repository included."""
    found = {p.relative_to(PROJECT_ROOT).as_posix() for p in (PROJECT_ROOT / "app").glob(pattern)}
    if pattern.startswith("migrations/"):
        shipped = PROJECT_ROOT.glob(pattern)
        found |= {f"app/{p.relative_to(PROJECT_ROOT).as_posix()}" for p in shipped}
    return found


@pytest.mark.parametrize(
    "pattern",
    [
        "templates/**/*.html",
        "static/**/*.*",
        "translations/*/LC_MESSAGES/messages.mo",
        "translations/*/LC_MESSAGES/messages.po",
        "migrations/versions/*.py",
        "migrations/env.py",
        "migrations/alembic.ini",
        "migrations/script.py.mako",
    ],
)
def test_the_wheel_carries_every_file_the_app_reads_from_disk(wheel_names, pattern):
    expected = _repo_files(pattern)
    assert expected, f"nothing in the repository matches {pattern}"
    assert expected <= wheel_names, sorted(expected - wheel_names)


def test_the_wheel_carries_no_tests_or_benchmarks(wheel_names):
    assert not [n for n in wheel_names if n.startswith(("tests/", "bench/"))]


def test_flask_db_upgrade_runs_from_the_installed_wheel(wheel, tmp_path):
    target, workdir = tmp_path / "site", tmp_path / "run"
    workdir.mkdir()
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(target)  # a wheel installs by unpacking; dependencies come from here
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(target),
        "DATABASE_URL": f"sqlite:///{workdir / 'fs.db'}",
        "LOG_LEVEL": "WARNING",
    }
    # `python -m flask --app app db upgrade`, in the process that also says where `app` came from
    script = (
        "import runpy, sys, app;"
        "print(app.__file__, flush=True);"
        "sys.argv = ['flask', '--app', 'app', 'db', 'upgrade'];"
        "runpy.run_module('flask', run_name='__main__', alter_sys=True)"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    imported_from = result.stdout.split()[0]
    assert imported_from.startswith(str(target)), "the app was not imported from the wheel"
    with contextlib.closing(sqlite3.connect(workdir / "fs.db")) as database:
        tables = database.execute("select count(*) from sqlite_master where name='users'")
        assert tables.fetchone()[0] == 1
