"""factory_boy factories for the domain models, bound to the test session by `bind()`."""

from __future__ import annotations

import datetime as dt
import functools
import secrets
import string
from collections.abc import Iterator
from contextlib import contextmanager
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


class _FlushOnly:
    """The test session, flushing where a factory would commit (see `one_commit`)."""

    def __init__(self, session: Any) -> None:
        self._session = session

    def commit(self) -> None:
        self._session.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._session, name)


@contextmanager
def one_commit() -> Iterator[None]:
    """Rows made by factories inside are flushed as made and committed once, at the end.

    Each factory commits on its own by default; a fixture building dozens of rows pays the
    commit hooks (the change feed, the customer notices) for each. Rows get their ids as they
    are made either way. Nothing is committed if the block raises.
    """
    session = _session_holder["session"]
    if isinstance(session, _FlushOnly):  # nested: the outer block commits
        yield
        return
    _session_holder["session"] = _FlushOnly(session)
    try:
        yield
    finally:
        _session_holder["session"] = session
    session.commit()


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
        session.commit()
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
        lambda: {d: [["08:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    )
    days_off = factory.LazyFunction(list)
    user = factory.Maybe(
        "with_user",
        yes_declaration=factory.SubFactory(UserFactory, role=models.Role.TECHNICIAN),
        no_declaration=None,
    )

    @factory.post_generation
    def skills(self, create: bool, extracted: dict[str, int] | None, **_: Any) -> None:
        found = {code: skill(code) for code in extracted or {}}
        for code, level in (extracted or {}).items():
            self.skills.append(models.TechnicianSkill(skill_id=found[code].id, level=level))
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


def unique(stem: str) -> str:
    """`stem` and eight random letters: text for a search test to look for that no other row
    can hold, whatever the factories' sequences have reached in this process (their phone
    numbers, e-mails and addresses count up, so fixed digits like "0042" can turn up in them)."""
    return stem + "".join(secrets.choice(string.ascii_lowercase) for _ in range(8))


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
        found = {code: skill(code) for code in extracted or {}}
        for code, level in (extracted or {}).items():
            self.required_skills.append(models.VisitSkill(skill_id=found[code].id, min_level=level))
        if create and extracted:
            _session().commit()


def checklist_templates() -> list[models.ChecklistTemplate]:
    """The demo's checklist templates (measure, install, repair), saved."""
    from app.demo import CHECKLISTS

    session = _session()
    templates = [
        models.ChecklistTemplate(kind=kind, name=f"{kind.value} checklist", items=items)
        for kind, items in CHECKLISTS.items()
    ]
    session.add_all(templates)
    session.commit()
    return templates


class PhotoFactory(Base):
    class Meta:
        model = models.Photo

    id = factory.Faker("uuid4")
    visit_id = factory.LazyFunction(lambda: VisitFactory().id)
    sha256 = factory.Sequence(lambda n: f"{n:064x}")
    kind = models.PhotoKind.AFTER
    caption = None


class SignatureFactory(Base):
    class Meta:
        model = models.Signature

    id = factory.Faker("uuid4")
    visit_id = factory.LazyFunction(lambda: VisitFactory().id)
    signer_name = "Wang Fang"
    sha256 = None


class AnswerFactory(Base):
    class Meta:
        model = models.ChecklistAnswer

    visit_id = factory.LazyFunction(lambda: VisitFactory().id)
    item_key = "items_installed"
    value = "wardrobe"


def image_bytes(
    fmt: str = "JPEG",
    size: tuple[int, int] = (64, 48),
    *,
    taken: str | None = None,
    offset: str | None = None,
    gps: tuple[float, float] | None = None,
    color: tuple[int, int, int] = (200, 120, 40),
) -> bytes:
    """A small real image, optionally with EXIF capture time ("YYYY:MM:DD HH:MM:SS") and GPS."""
    import io

    from PIL import Image
    from PIL.TiffImagePlugin import IFDRational

    image = Image.new("RGB", size, color)
    exif = Image.Exif()
    if taken:
        exif.get_ifd(0x8769)[0x9003] = taken
        if offset:
            exif.get_ifd(0x8769)[0x9011] = offset
    if gps:
        lat, lon = gps
        info = exif.get_ifd(0x8825)

        def dms(value: float) -> tuple[IFDRational, IFDRational, IFDRational]:
            value = abs(value)
            degrees = int(value)
            minutes = int((value - degrees) * 60)
            seconds = round(((value - degrees) * 60 - minutes) * 60 * 1000)
            return IFDRational(degrees), IFDRational(minutes), IFDRational(seconds, 1000)

        info[1], info[2] = ("N" if lat >= 0 else "S"), dms(lat)
        info[3], info[4] = ("E" if lon >= 0 else "W"), dms(lon)
    out = io.BytesIO()
    image.save(out, fmt, **({"exif": exif} if fmt == "JPEG" and (taken or gps) else {}))
    return out.getvalue()


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


class SlaPolicyFactory(Base):
    """A catch-all policy by default: 1 day to respond, 2 days to resolve."""

    class Meta:
        model = models.SlaPolicy

    name = factory.Sequence(lambda n: f"Policy {n}")
    kind = None
    priority = None
    tier = None
    response_min = 24 * 60
    resolution_min = 48 * 60
    warn_before_min = 60
    active = True


class RatingFactory(Base):
    """A rating; pass visit_id and customer_id."""

    class Meta:
        model = models.Rating

    csat = 5
    nps = 10
    language = "en"


class RepairOutcomeFactory(Base):
    """A repair's outcome; pass visit_id and customer_id."""

    class Meta:
        model = models.RepairOutcome

    fixed = True
    is_follow_up = False
    first_time_fix = factory.SelfAttribute("fixed")


class ComplaintFactory(Base):
    """A complaint; pass customer_id (and visit_id)."""

    class Meta:
        model = models.Complaint

    summary = "Unhappy"
    source = "manual"
    stage = models.ComplaintStage.REPORTED


def measure_visits_tomorrow(count: int) -> list[models.Visit]:
    """`count` measure visits tomorrow between 9:00 and 16:00, about a kilometre apart."""
    with one_commit():
        return [
            VisitFactory(
                site=SiteFactory(lat=31.23 + i * 0.01, lon=121.47),
                required_skills={"measure": 1},
                window_start=tomorrow_at(9),
                window_end=tomorrow_at(16),
            )
            for i in range(count)
        ]


def article(
    title: str = "柜门关不严怎么办",
    body: str = "调节**铰链**的螺丝让柜门对齐。",
    *,
    published: bool = True,
    audience: models.ArticleAudience = models.ArticleAudience.TECHNICIAN,
    language: str = "zh_CN",
    product_lines: tuple[str, ...] = (),
    visit_kinds: tuple[models.VisitKind, ...] = (),
    fault_causes: tuple[str, ...] = (),
) -> models.Article:
    """An article written through the service (rendered, searchable, with history), saved."""
    from app.services import articles

    session = _session()
    draft = articles.ArticleDraft(
        title=title,
        body=body,
        language=language,
        audience=audience,
        product_lines=product_lines,
        visit_kinds=visit_kinds,
        fault_causes=fault_causes,
    )
    written = articles.create_article(session, draft, user_id=None)
    if published:
        articles.set_status(
            session, written, models.ArticleStatus.PUBLISHED, expected_version=None, user_id=None
        )
    session.commit()
    return written
