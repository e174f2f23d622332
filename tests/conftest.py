"""Test fixtures: a real PostgreSQL database and a real Redis, created for this run.

The suite uses DATABASE_URL / REDIS_URL when given, else the local servers. It creates its
own database (dropped at the end) and never skips when a server is missing: it fails with a
message saying how to start it.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import os
import signal
import subprocess
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from app import models
from app.config import Settings, activate
from app.database import Base, db
from tests import factories

pytest_plugins = ("tests.garbage", "tests.ordering", "tests.planner_warmup")

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS = "redis://127.0.0.1:6379/0"
TEST_SEARCH_ITERATIONS = 2000
HOW_TO_START = {
    "postgres": "start it with: pg_ctlcluster --skip-systemctl-redirect "
    "$(ls /etc/postgresql) main start   (or set DATABASE_URL)",
    "redis": "start it with: redis-server --daemonize yes --bind 127.0.0.1 --port 6379 "
    "--save '' --appendonly no   (or set REDIS_URL)",
}


def _server_url() -> str:
    url = os.environ.get("DATABASE_URL") or DEFAULT_PG
    if not url.startswith("postgresql"):
        pytest.exit(f"the test suite needs PostgreSQL; DATABASE_URL is {url!r}", returncode=3)
    return url


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test process, migrated to the latest schema.

    Under xdist the first worker migrates a template database for the run and every worker
    copies it (a copy inside PostgreSQL instead of the migrations run once per worker); the
    template goes when the first worker ends. The migrations themselves are tested in
    tests/app/test_migrations.py.
    """
    server = make_url(_server_url())
    name = f"fieldservice_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    template = f"fieldservice_template_{run[:16]}" if run else None
    try:
        conn = admin.connect()
    except Exception as exc:
        pytest.fail(
            f"PostgreSQL is not reachable at {server.render_as_string(hide_password=True)}: "
            f"{exc}\n{HOW_TO_START['postgres']}",
            pytrace=False,
        )
    with conn:
        if template is not None:
            _copy_of_template(conn, server, template, name)
        else:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        conn.execute(text(NO_FLUSH_WAIT.format(name=name)))
    url = server.set(database=name).render_as_string(hide_password=False)
    try:
        if template is None:
            migrate_to_head(url)
        yield url
    finally:
        db.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            if template is not None:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)'))
        admin.dispose()


# A commit in a test database does not wait for its write-ahead log to reach the disk: the
# suite commits after every factory, request and emptying of the tables, and a wait for the
# disk costs some 5 ms a commit on a busy machine (1 ms without). What a commit makes visible,
# locks and constraints are unchanged; only a crash of the server could lose the last commits,
# of a database dropped at the end of the run anyway.
NO_FLUSH_WAIT = 'ALTER DATABASE "{name}" SET synchronous_commit = off'


def _copy_of_template(conn: Any, server: Any, template: str, name: str) -> None:
    """Create `name` as a copy of this run's migrated template, building that first if needed.

    Workers take turns (an advisory lock): the first builds the template, the others copy it
    (a worker starting after another ended builds it again).
    """
    key = int.from_bytes(hashlib.sha256(template.encode()).digest()[:8], "big", signed=True)
    conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
    try:
        exists = conn.scalar(
            text("SELECT count(*) FROM pg_database WHERE datname = :t"), {"t": template}
        )
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{template}"'))
            conn.execute(text(NO_FLUSH_WAIT.format(name=template)))
            try:
                migrate_to_head(server.set(database=template).render_as_string(hide_password=False))
            except Exception:
                conn.execute(text(f'DROP DATABASE "{template}" WITH (FORCE)'))
                raise
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    finally:
        conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})


@contextmanager
def database_copy(url: str) -> Iterator[str]:
    """A new database copied inside PostgreSQL from this process's own database at `url`.

    Yields the copy's URL and drops the copy afterwards. PostgreSQL copies only a database no
    one is connected to, so this process's connections to it are closed first (the next test's
    `session` opens new ones). Rows a module shares are built once in a copy, apart from the
    tables every test empties.
    """
    source = make_url(url)
    name = f"{source.database}_copy_{uuid.uuid4().hex[:6]}"
    db.dispose()
    admin = create_engine(source.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": source.database},
            )
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{source.database}"'))
            conn.execute(text(NO_FLUSH_WAIT.format(name=name)))
        yield source.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def migrate_to_head(url: str) -> None:
    """Build the schema the way production does: Alembic migrations, not create_all."""
    from flask_migrate import upgrade

    from app import create_app

    app = create_app(Settings(database_url=url, log_level="WARNING"))
    with app.app_context():
        upgrade()
    db.dispose()


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The real Redis the tests use; fails loudly when it is down."""
    url = os.environ.get("REDIS_URL") or DEFAULT_REDIS
    try:
        Redis.from_url(url, socket_connect_timeout=2).ping()
    except Exception as exc:
        pytest.fail(
            f"Redis is not reachable at {url}: {exc}\n{HOW_TO_START['redis']}", pytrace=False
        )
    return url


@pytest.fixture(scope="session")
def settings(postgres_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings for the app under test: the test database, inline jobs, a temp upload folder."""
    return Settings(
        database_url=postgres_url,
        upload_folder=str(tmp_path_factory.mktemp("uploads")),
        log_level="WARNING",
        # Production hashes at 2^17; tests that do not test hashing sign in at a cheap cost
        # (the lowest the settings accept, 2^10: some 2 ms of CPU a hash; the suite hashes and
        # signs in over a thousand times).
        password_scrypt_n=2**10,
        # Runs stop after a fixed amount of search work, not at a share of a busy machine's
        # clock: the same plan on any machine, milliseconds for the small days tests plan.
        # Tests of long solves ask for `searches_use_their_time_limit`.
        solver_search_iterations=TEST_SEARCH_ITERATIONS,
        # A run's page in the browser asks for its progress every 150 ms, not 700: browser tests
        # see a finished run's proposal up to half a second sooner, every time they watch one.
        console_progress_poll_ms=150,
    )


@pytest.fixture
def searches_use_their_time_limit(app: Flask, session: Session) -> Iterator[Settings]:
    """Runs search for their whole time limit, as in production (no iteration budget)."""
    budgeted = app.extensions["settings"]
    unbounded = budgeted.replace(solver_search_iterations=None)
    app.extensions["settings"] = unbounded
    activate(unbounded)
    try:
        yield unbounded
    finally:
        app.extensions["settings"] = budgeted
        activate(budgeted)


@pytest.fixture(autouse=True)
def _signal_handlers_restored() -> Iterator[None]:
    """SIGTERM and SIGINT handled as before the test, whatever it ran in this process.

    An rq worker run in the test process (`SimpleWorker.work`) installs handlers that only ask
    it to stop after its job, and leaves them: a process pool forked later would inherit them,
    its children would ignore the SIGTERM that ends the pool, and the pool would wait for them
    forever.
    """
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    yield
    for sig, handler in handlers.items():
        if signal.getsignal(sig) is not handler:
            signal.signal(sig, handler)


@pytest.fixture
def runs_wait_in_a_queue(app: Flask, session: Session, redis_url: str) -> Iterator[Any]:
    """Runs the app starts go to an rq queue of this test that no worker serves (yields it).

    For tests of how a run is started or retried, not of how it is solved: no solving process
    starts, and the test reads the job from the queue. Runs still queued at the end are failed,
    so that nothing waits for them.
    """
    from app.jobs import queue

    plain = app.extensions["settings"]
    queued = plain.replace(redis_url=redis_url, rq_queue=f"test-idle-{uuid.uuid4().hex}")
    jobs = queue(queued, Redis.from_url(redis_url))
    app.extensions["settings"] = queued
    activate(queued)
    try:
        yield jobs
    finally:
        app.extensions["settings"] = plain
        activate(plain)
        jobs.delete(delete_jobs=True)
        with db.engine.begin() as conn:
            conn.execute(
                text("UPDATE dispatch_runs SET status = 'failed' WHERE status = 'queued'")
            )


@pytest.fixture(scope="session")
def app(settings: Settings) -> Flask:
    from app import create_app

    return create_app(settings)


@pytest.fixture
def session(app: Flask) -> Iterator[Session]:
    """A session of the test's own, apart from the app's; tables are emptied afterwards.

    Factories commit through it, so the app under test reads rows from the database just as
    it would in production; objects expire on commit so assertions see what the app wrote.
    """
    # Other tests (migrations) bind the shared database object elsewhere; bind it back.
    db.configure(app.extensions["settings"].database_url)
    activate(app.extensions["settings"])
    test_session = Session(db.engine, expire_on_commit=True)
    factories.bind(test_session)
    try:
        yield test_session
    finally:
        test_session.close()
        db.session.remove()
        truncate_all(db.engine)
        from app.extensions import limiter

        limiter.reset()  # rate-limit counters (memory) start empty for the next test


# Every sequence of the schema back to 1, as in a fresh database.
_RESTART_SEQUENCES = text(
    "SELECT setval(c.oid, 1, false) FROM pg_class c "
    "JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE c.relkind = 'S' AND n.nspname = current_schema()"
)


def truncate_all(engine: Engine) -> None:
    """Empty every table and restart every id sequence, as a fresh database would be.

    DELETE, children before parents, rather than TRUNCATE: on tables this small it is some
    twenty times faster (TRUNCATE gives each table new files), and it runs after every test.
    All the DELETEs go in one round trip (a fifth of the client's CPU of one per table).
    """
    quote = engine.dialect.identifier_preparer.format_table
    delete_all = "; ".join(
        f"DELETE FROM {quote(table)}" for table in reversed(Base.metadata.sorted_tables)
    )
    with engine.begin() as conn:
        conn.exec_driver_sql(delete_all)
        conn.execute(_RESTART_SEQUENCES)


# The product speaks Chinese by default; tests that read English texts ask for English, as an
# English browser does. Chinese pages and errors are tested with `zh_client`.
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}
CHINESE = {"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9"}


@pytest.fixture
def client(app: Flask, session: Session) -> FlaskClient:
    """A client whose requests ask for English (Accept-Language: en)."""
    client = app.test_client()
    client.environ_base.update(ENGLISH)
    return client


@pytest.fixture
def zh_client(app: Flask, session: Session) -> FlaskClient:
    """A client whose requests ask for Simplified Chinese."""
    client = app.test_client()
    client.environ_base.update(CHINESE)
    return client


@pytest.fixture
def admin(session: Session) -> Any:
    return factories.UserFactory(role=models.Role.ADMIN)


@pytest.fixture
def dispatcher(session: Session) -> Any:
    return factories.UserFactory(role=models.Role.DISPATCHER)


@pytest.fixture
def technician(session: Session) -> Any:
    """A technician with a login and the `measure` skill."""
    return factories.TechnicianFactory(with_user=True, skills={"measure": 2})


@pytest.fixture
def login(client: FlaskClient) -> Any:
    """login(user) -> headers carrying a fresh bearer token for that user."""

    def _login(user: Any) -> dict[str, str]:
        response = client.post(
            "/api/v1/auth/token",
            json={"email": user.email, "password": factories.PASSWORD},
        )
        assert response.status_code == 201, response.json
        return {"Authorization": f"Bearer {response.json['access_token']}"}

    return _login


@pytest.fixture
def as_dispatcher(dispatcher: Any, login: Any) -> dict[str, str]:
    return login(dispatcher)


@pytest.fixture
def as_admin(admin: Any, login: Any) -> dict[str, str]:
    return login(admin)


@pytest.fixture
def phone(client: FlaskClient) -> Any:
    """phone(user) -> a registered reference sync client for that technician, in-process."""
    from app.services.accounts import issue_token
    from sync.client import LocalStore, SyncClient
    from tests.sync.phones import FlaskTransport

    def _phone(user: Any, *, store: Any = None, device_id: str | None = None) -> SyncClient:
        # A sign-in token straight from the service: password hashing is not under test here.
        token, _ = issue_token(db.session, db.session.get(models.User, user.id), ttl_s=3600)
        db.session.commit()
        return SyncClient.register(
            store or LocalStore(),
            FlaskTransport(client),
            token,
            device_id=device_id,
            sleep=lambda _s: None,
        )

    return _phone


# --- a real browser on a real port (rating pages, console) ---------------------------------

# Debian's build of Chromium's headless shell: the same engine as its `chromium` package without
# the desktop browser's window, tab strip and profile services, which in headless mode alone
# cost the suite about two CPU seconds per browser test (docs/benchmarks.md, test suite).
CHROMIUM = Path("/usr/bin/chromium-headless-shell")
# Chinese pages must render as Chinese, not boxes, in screenshots.
CJK_FONTS = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
# Shared by the test processes of every checkout on the machine, since apt is too.
APT_LOCK = Path(tempfile.gettempdir()) / "field-service-tests-apt.lock"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    """Debian's Chromium headless shell and CJK fonts, installed with apt when missing.

    Never Playwright's own download. Every test process may get here at once on a fresh machine:
    one installs while the others wait on a lock file, then find the packages there.
    """
    with open(APT_LOCK, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not CHROMIUM.exists() or not CJK_FONTS.exists():
            _apt_install_chromium()
    return CHROMIUM


def _apt_install_chromium() -> None:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    result = subprocess.run(
        # Another apt (the machine's own) may hold dpkg's lock: wait for it rather than fail.
        "apt-get -o DPkg::Lock::Timeout=600 update"
        " && apt-get -o DPkg::Lock::Timeout=600 install -y chromium-headless-shell fonts-noto-cjk",
        shell=True,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )
    if result.returncode != 0 or not CHROMIUM.exists() or not CJK_FONTS.exists():
        pytest.fail(
            "could not install chromium-headless-shell and fonts-noto-cjk with apt-get "
            f"(exit {result.returncode}):\n"
            f"{result.stdout[-2000:]}\n{result.stderr[-2000:]}",
            pytrace=False,
        )


@pytest.fixture(scope="session")
def chromium(chromium_path: Path) -> Iterator[Any]:
    """One headless Chromium per test process, started once; tests open contexts in it.

    Starting Playwright's driver and a browser costs about a CPU second; a context is a fresh
    profile (cookies, storage, cache, service workers) at a small fraction of that, so every
    test still starts from a browser that has never seen the site.
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium_path), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def new_page(chromium: Any) -> Iterator[Callable[..., Any]]:
    """new_page(**context_options) -> a page in a browser context of its own, closed afterwards.

    Options are Playwright's `new_context` options (viewport, locale, is_mobile, ...); the
    page waits at most 20 s for anything (`timeout_ms`).
    """
    contexts: list[Any] = []

    def open_page(*, timeout_ms: float = 20_000, **options: Any) -> Any:
        context = chromium.new_context(**options)
        context.set_default_timeout(timeout_ms)
        contexts.append(context)
        return context.new_page()

    try:
        yield open_page
    finally:
        for context in contexts:
            context.close()


@pytest.fixture
def live_server(app: Flask, session: Session) -> Iterator[str]:
    """The app served on a real loopback port in a background thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    # shutdown() waits for the serving loop to look up (every 0.5 s by default): a shorter poll
    # ends each browser test that much sooner.
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


# A solving process stamps its run every few seconds (RUN_HEARTBEAT_INTERVAL, 5 s by default): a
# running run without a stamp this recent has no process behind it (a test wrote it as running).
LIVE_HEARTBEAT = dt.timedelta(seconds=30)


def wait_for_background_runs(timeout_s: float = 60) -> None:
    """Let optimizer runs solving in other processes finish before the tables are emptied.

    Waits for queued runs and for running runs whose solving process still beats; a run a test
    set to running by hand has no process to wait for.
    """
    import time

    from sqlalchemy import and_, func, or_, select

    from app.database import utcnow

    runs = models.DispatchRun
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with Session(db.engine) as fresh:
            busy = fresh.scalar(
                select(func.count())
                .select_from(runs)
                .where(
                    or_(
                        runs.status == models.RunStatus.QUEUED,
                        and_(
                            runs.status == models.RunStatus.RUNNING,
                            runs.heartbeat_at > utcnow() - LIVE_HEARTBEAT,
                        ),
                    )
                )
            )
        if not busy:
            return
        time.sleep(0.1)
