"""Core model rules, checked on PostgreSQL and on the embedded SQLite default alike."""

import datetime as dt

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from app.database import Base, make_engine
from app.models import Customer, Site


@pytest.fixture(scope="module", params=["postgresql", "sqlite"])
def model_schema(request, postgres_url, tmp_path_factory):
    """An engine on a schema built from the models, on each supported database, once a module.

    Building the schema (some sixty tables) costs far more than any test here; each test gets
    the schema's tables empty instead (`any_db`).
    """
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('models') / 'models.db'}")
    else:
        engine = make_engine(postgres_url)
        with engine.begin() as conn:
            conn.execute(text("CREATE SCHEMA IF NOT EXISTS model_tests"))
        engine = make_engine(
            postgres_url, execution_options={"schema_translate_map": {None: "model_tests"}}
        )
    Base.metadata.create_all(engine)
    yield engine
    Base.metadata.drop_all(engine)
    engine.dispose()


@pytest.fixture
def any_db(model_schema):
    """A session on the models' schema; its tables are emptied afterwards."""
    with Session(model_schema) as session:
        yield session
    with model_schema.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())


def test_timestamps_come_back_timezone_aware_in_utc(any_db):
    customer = Customer(name="A", tags=[])
    any_db.add(customer)
    any_db.commit()
    any_db.expire_all()
    assert customer.created_at.tzinfo is not None
    assert customer.created_at.utcoffset() == dt.timedelta(0)


def test_an_instant_given_in_another_zone_is_stored_as_the_same_instant(any_db):
    shanghai = dt.timezone(dt.timedelta(hours=8))
    customer = Customer(name="A", tags=[])
    any_db.add(customer)
    any_db.flush()
    site = Site(customer_id=customer.id, address="x", lat=31.0, lon=121.0)
    any_db.add(site)
    any_db.commit()
    local = dt.datetime(2026, 12, 1, 9, 0, tzinfo=shanghai)
    customer.created_at = local
    any_db.commit()
    any_db.expire_all()
    assert customer.created_at == local
    assert customer.created_at.hour == 1


def test_a_naive_timestamp_is_refused(any_db):
    any_db.add(Customer(name="A", tags=[], created_at=dt.datetime(2026, 1, 1)))
    with pytest.raises(StatementError):
        any_db.commit()


def test_every_write_changes_the_version(any_db):
    customer = Customer(name="A", tags=[])
    any_db.add(customer)
    any_db.commit()
    first = customer.version
    customer.name = "B"
    any_db.commit()
    assert customer.version == first + 1


def test_a_concurrent_write_on_an_old_version_is_refused(any_db):
    customer = Customer(name="A", tags=[])
    any_db.add(customer)
    any_db.commit()
    any_db.execute(Customer.__table__.update().where(Customer.id == customer.id).values(version=9))
    customer.name = "B"
    with pytest.raises(StaleDataError):
        any_db.commit()


@pytest.mark.parametrize(("lat", "lon"), [(91, 0), (0, 181)])
def test_the_database_refuses_coordinates_out_of_range(any_db, lat, lon):
    customer = Customer(name="A", tags=[])
    any_db.add(customer)
    any_db.flush()
    any_db.add(Site(customer_id=customer.id, address="x", lat=lat, lon=lon))
    with pytest.raises(IntegrityError):
        any_db.commit()


def test_an_unknown_enum_value_never_reaches_the_database(any_db):
    any_db.add(Customer(name="A", tags=[], tier="platinum"))
    with pytest.raises(StatementError):
        any_db.commit()
