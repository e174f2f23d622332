"""factory_boy factories for the domain models, bound to the test session by `bind()`."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any
from zoneinfo import ZoneInfo

import factory
from factory.alchemy import SQLAlchemyModelFactory
from sqlalchemy import select
from sqlalchemy.orm import Session, scoped_session

from app import models
from app.services.accounts import hash_password

PASSWORD = "correct-horse-battery"
SHANGHAI = ZoneInfo("Asia/Shanghai")
_session_holder: dict[str, Any] = {}


def bind(session: Session | scoped_session[Session]) -> None:
    """Point every factory at the session of the running test."""
    _session_holder["session"] = session


def _session() -> Any:
    return _session_holder["session"]


@functools.cache
def _password_hash() -> str:
    # Hashing is deliberately slow; one hash serves every test user.
    return hash_password(PASSWORD)


class Base(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = _session
        sqlalchemy_session_persistence = "commit"


class UserFactory(Base):
    class Meta:
        model = models.User

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    name = factory.Sequence(lambda n: f"User {n}")
    role = models.Role.DISPATCHER
    active = True
    password_hash = factory.LazyFunction(_password_hash)


def skill(code: str) -> models.Skill:
    """The skill with this code, created on first use."""
    session = _session()
    found = session.scalar(select(models.Skill).where(models.Skill.code == code))
    if found is None:
        found = models.Skill(code=code, name=code.replace("_", " ").title())
        session.add(found)
        session.flush()
    return found


class DepotFactory(Base):
    class Meta:
        model = models.Depot

    name = factory.Sequence(lambda n: f"Depot {n}")
    lat = 31.2304
    lon = 121.4737


class TechnicianFactory(Base):
    class Meta:
        model = models.Technician

    class Params:
        with_user = False

    name = factory.Sequence(lambda n: f"Technician {n}")
    home_lat = 31.2304
    home_lon = 121.4737
    time_zone = "Asia/Shanghai"
    shift_pattern = factory.LazyFunction(
        lambda: {d: [["08:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
    )
    days_off = factory.LazyFunction(list)
    user = factory.Maybe(
        "with_user",
        yes_declaration=factory.SubFactory(UserFactory, role=models.Role.TECHNICIAN),
        no_declaration=None,
    )

    @factory.post_generation
    def skills(self, create: bool, extracted: dict[str, int] | None, **_: Any) -> None:
        for code, level in (extracted or {}).items():
            self.skills.append(models.TechnicianSkill(skill=skill(code), level=level))
        if create and extracted:
            _session().commit()


class CustomerFactory(Base):
    class Meta:
        model = models.Customer

    name = factory.Sequence(lambda n: f"Customer {n}")
    phone = factory.Sequence(lambda n: f"138{n:08d}")
    email = factory.Sequence(lambda n: f"customer{n}@example.com")
    tier = models.CustomerTier.STANDARD
    tags = factory.LazyFunction(list)


class SiteFactory(Base):
    class Meta:
        model = models.Site

    customer = factory.SubFactory(CustomerFactory)
    address = factory.Sequence(lambda n: f"{n} Nanjing Rd")
    lat = 31.2352
    lon = 121.4753


class OrderFactory(Base):
    class Meta:
        model = models.Order

    customer = factory.SubFactory(CustomerFactory)
    site = factory.LazyAttribute(lambda o: o.customer.sites[0] if o.customer.sites else None)
    product_line = "kitchen"
    stage = models.OrderStage.MEASURE


def tomorrow_at(hour: int, minute: int = 0, *, days: int = 1) -> dt.datetime:
    """A Shanghai wall-clock time `days` from today, timezone-aware."""
    day = dt.datetime.now(SHANGHAI).date() + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=SHANGHAI)


class VisitFactory(Base):
    class Meta:
        model = models.Visit

    kind = models.VisitKind.MEASURE
    site = factory.SubFactory(SiteFactory)
    customer = factory.SelfAttribute("site.customer")
    order = None
    duration_min = 60
    window_start = factory.LazyFunction(lambda: tomorrow_at(9))
    window_end = factory.LazyFunction(lambda: tomorrow_at(12))
    sla_due = factory.LazyFunction(lambda: tomorrow_at(18))
    priority = 3
    status = models.VisitStatus.NEW
    lock = models.LockState.NONE

    @factory.post_generation
    def required_skills(self, create: bool, extracted: dict[str, int] | None, **_: Any) -> None:
        for code, level in (extracted or {}).items():
            self.required_skills.append(models.VisitSkill(skill=skill(code), min_level=level))
        if create and extracted:
            _session().commit()


class ChecklistTemplateFactory(Base):
    class Meta:
        model = models.ChecklistTemplate

    kind = models.VisitKind.MEASURE
    name = factory.Sequence(lambda n: f"Checklist {n}")
    items = factory.LazyFunction(
        lambda: [
            {"key": "room_width_cm", "label": "Room width", "type": "number", "required": True},
            {"key": "remarks", "label": "Remarks", "type": "text", "required": False},
        ]
    )
    active = True


def assigned_visit(technician: models.Technician, **overrides: Any) -> models.Visit:
    """A dispatched visit assigned to `technician`, tomorrow morning (inside the sync scope)."""
    overrides.setdefault("status", models.VisitStatus.DISPATCHED)
    return VisitFactory(technician=technician, **overrides)
