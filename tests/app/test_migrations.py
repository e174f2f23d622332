"""The migrations build the models' schema on PostgreSQL and SQLite, and go down again."""

import os
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from app import create_app
from app.config import Settings
from app.database import Base, db


@pytest.fixture
def scratch_postgres(postgres_url):
    server = make_url(postgres_url)
    name = f"fieldservice_migrations_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield server.set(database=name).render_as_string(hide_password=False)
    db.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["postgresql", "sqlite"])
def migration_app(request, tmp_path):
    if request.param == "postgresql":
        url = request.getfixturevalue("scratch_postgres")  # a database only for this one
    else:
        url = f"sqlite:///{tmp_path}/m.db"
    app = create_app(Settings(database_url=url, log_level="WARNING"))
    with app.app_context():
        yield app
    db.dispose()


def schema_diff():
    with db.engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn), Base.metadata)


def test_upgrade_builds_exactly_the_models_schema(migration_app):
    upgrade()
    assert schema_diff() == []


def test_downgrade_removes_every_table_and_upgrade_rebuilds(migration_app):
    upgrade()
    downgrade(revision="base")
    assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
    upgrade()
    assert "visits" in inspect(db.engine).get_table_names()
