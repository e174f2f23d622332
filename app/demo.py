"""A reproducible city-scale demo dataset: Shanghai, 3 depots, 40 technicians, 400 open visits."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.database import utcnow
from app.demo_articles import seed_articles
from app.errors import Conflict
from app.i18n.text import N_
from app.models import (
    ChecklistTemplate,
    Complaint,
    ComplaintStage,
    Customer,
    CustomerTier,
    Depot,
    Order,
    OrderStage,
    Rating,
    RepairOutcome,
    Role,
    Site,
    Skill,
    SlaPolicy,
    Technician,
    Visit,
    VisitKind,
    VisitStatus,
    VisitStatusChange,
)
from app.services.accounts import create_user
from app.services.dispatching.publish import PublishResult, publish_run
from app.services.dispatching.runs import RunRequest, create_run, store_proposal
from app.services.dispatching.solving import compute_proposal
from app.services.visits import record_creation, set_required_skills, set_technician_skills

TZ = ZoneInfo("Asia/Shanghai")
ADMIN = ("admin@demo.fieldservice.local", "admin-demo-2026")
DISPATCHER = ("dispatcher@demo.fieldservice.local", "dispatch-demo-2026")
TECHNICIAN_PASSWORD = "tech-demo-2026"

DEPOTS = (
    ("Pudong depot", 31.2215, 121.5447),
    ("Minhang depot", 31.1127, 121.3817),
    ("Baoshan depot", 31.4045, 121.4891),
)
# Shanghai's built-up area, roughly: a box around the inner ring and near suburbs.
CITY_BOX = ((31.05, 31.42), (121.30, 121.66))
SKILLS = (
    ("measure", "Measuring rooms for custom furniture"),
    ("install_cabinet", "Installing kitchen and bathroom cabinets"),
    ("install_wardrobe", "Installing wardrobes and built-ins"),
    ("repair", "Repairing furniture after sale"),
    ("electrical", "Lighting and appliances fitted in furniture"),
    ("stone_worktop", "Cutting and fitting stone worktops"),
)
PRODUCT_LINES = ("kitchen", "wardrobe", "study", "bathroom", "bedroom")
SURNAMES = [
    "Wang",
    "Li",
    "Zhang",
    "Liu",
    "Chen",
    "Yang",
    "Huang",
    "Zhao",
    "Wu",
    "Zhou",
    "Xu",
    "Sun",
    "Ma",
    "Zhu",
    "Hu",
    "Guo",
    "He",
    "Lin",
    "Gao",
    "Luo",
]
GIVEN = [
    "Wei",
    "Fang",
    "Na",
    "Min",
    "Jing",
    "Lei",
    "Yang",
    "Jun",
    "Yan",
    "Tao",
    "Ming",
    "Hui",
    "Xin",
    "Qiang",
    "Ping",
    "Hong",
    "Bo",
    "Yu",
    "Chao",
    "Ling",
]
STREETS = (
    "Nanjing Rd",
    "Huaihai Rd",
    "Century Ave",
    "Zhangyang Rd",
    "Hongqiao Rd",
    "Siping Rd",
    "Caoxi Rd",
    "Gonghexin Rd",
    "Longhua Rd",
    "Yanggao Rd",
    "Zhongshan Rd",
    "Jiangning Rd",
)
STANDARD_SHIFT = {day: [["08:30", "17:30"]] for day in ("mon", "tue", "wed", "thu", "fri")}
CHECKLISTS = {
    VisitKind.MEASURE: [
        {
            "key": "room_width_cm",
            "label": N_("Room width (cm)"),
            "type": "number",
            "required": True,
        },
        {
            "key": "room_depth_cm",
            "label": N_("Room depth (cm)"),
            "type": "number",
            "required": True,
        },
        {
            "key": "room_height_cm",
            "label": N_("Room height (cm)"),
            "type": "number",
            "required": True,
        },
        {
            "key": "wall_photos",
            "label": N_("A photo of each wall"),
            "type": "photo",
            "required": True,
            "min_photos": 4,
            "photo_kind": "wall",
        },
    ],
    VisitKind.INSTALL: [
        {
            "key": "items_installed",
            "label": N_("Items installed"),
            "type": "text",
            "required": True,
        },
        {
            "key": "before_photos",
            "label": N_("Photos before installing"),
            "type": "photo",
            "required": True,
            "min_photos": 1,
            "photo_kind": "before",
        },
        {
            "key": "after_photos",
            "label": N_("Photos after installing"),
            "type": "photo",
            "required": True,
            "min_photos": 1,
            "photo_kind": "after",
        },
        {
            "key": "customer_signature",
            "label": N_("Customer signature"),
            "type": "signature",
            "required": True,
        },
    ],
    VisitKind.REPAIR: [
        {
            "key": "fault_cause",
            "label": N_("Cause of the fault"),
            "type": "choice",
            "required": True,
            "choices": ["wear", "installation", "manufacturing", "misuse", "other"],
        },
        {"key": "parts_used", "label": N_("Parts used"), "type": "text", "required": True},
        {"key": "fixed", "label": N_("Fixed on this visit"), "type": "boolean", "required": True},
    ],
}


_DAY = 24 * 60
# Response (request → on site) and resolution (request → done) targets, in minutes.
SLA_POLICIES = (
    {"name": "Default", "response_min": 7 * _DAY, "resolution_min": 14 * _DAY},
    {
        "name": "Measure",
        "kind": VisitKind.MEASURE,
        "response_min": 5 * _DAY,
        "resolution_min": 5 * _DAY,
    },
    {
        "name": "Install",
        "kind": VisitKind.INSTALL,
        "response_min": 10 * _DAY,
        "resolution_min": 14 * _DAY,
    },
    {
        "name": "Repair",
        "kind": VisitKind.REPAIR,
        "response_min": 3 * _DAY,
        "resolution_min": 4 * _DAY,
    },
    {
        "name": "Repair, urgent",
        "kind": VisitKind.REPAIR,
        "priority": 5,  # 5 is the most important priority, as the planner reads it
        "response_min": 2 * _DAY,
        "resolution_min": 3 * _DAY,
    },
    {
        "name": "Repair, gold",
        "kind": VisitKind.REPAIR,
        "tier": CustomerTier.GOLD,
        "response_min": 2 * _DAY,
        "resolution_min": 3 * _DAY,
    },
    {
        "name": "Repair, VIP",
        "kind": VisitKind.REPAIR,
        "tier": CustomerTier.VIP,
        "response_min": _DAY,
        "resolution_min": 2 * _DAY,
        "warn_before_min": 120,
    },
)


@dataclass(frozen=True)
class UnderWay:
    """The day shown under way: which day, as of when, and whether it is not today."""

    day: dt.date
    at: dt.datetime
    # True when it was outside working hours in Shanghai: the next working day is shown instead.
    deferred: bool


@dataclass(frozen=True)
class DemoSummary:
    depots: int
    technicians: int
    customers: int
    visits: int
    first_day: dt.date
    last_day: dt.date
    history_weeks: int = 0
    under_way: UnderWay | None = None
    published_day: dt.date | None = None
    published_visits: int = 0
    kept: bool = False

    def describe(self) -> str:
        """What was seeded (or found), where to look, and the demo accounts."""
        if self.kept:
            lines = [
                "The database already holds data: keeping it "
                "(scripts/demo --reset starts over). "
                f"It has {self.depots} depots, {self.technicians} technicians, "
                f"{self.customers} customers and {self.visits} open visits."
            ]
        else:
            extras = []
            if self.history_weeks:
                extras.append(f"{self.history_weeks} past weeks of completed, rated visits")
            if self.under_way is not None:
                extras.append("3 routes under way")
            lines = [
                f"Seeded Shanghai demo: {self.depots} depots, {self.technicians} technicians, "
                f"{self.customers} customers, {self.visits} open visits "
                f"from {self.first_day} to {self.last_day}"
                + (f"; plus {' and '.join(extras)}." if extras else ".")
            ]
            if self.under_way is not None:
                lines.append(_under_way_note(self.under_way))
            if self.published_day is not None:
                lines.append(
                    f"  Published plan: {self.published_visits} visits on "
                    f"{self.published_day:%a %d %b %Y} (/console/board?day={self.published_day})."
                )
        return "\n".join(
            [
                *lines,
                f"  admin:       {ADMIN[0]} / {ADMIN[1]}",
                f"  dispatcher:  {DISPATCHER[0]} / {DISPATCHER[1]}",
                f"  technicians: tech01@demo.fieldservice.local .. tech40@... / "
                f"{TECHNICIAN_PASSWORD}",
            ]
        )


def _under_way_note(under_way: UnderWay) -> str:
    local = under_way.at.astimezone(TZ)
    where = f"/console/board?day={under_way.day}"
    if not under_way.deferred:
        return f"  Routes under way today, {under_way.day:%a %d %b} ({where})."
    return (
        f"  It is outside working hours in Shanghai now, so the routes under way are on the next "
        f"working day, {under_way.day:%a %d %b %Y}, as they stand at {local:%H:%M} ({where})."
    )


def working_days(first: dt.date, count: int) -> list[dt.date]:
    """`count` Monday-to-Friday dates starting at `first` (or the next weekday)."""
    days: list[dt.date] = []
    day = first
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def seed_demo_data(
    session: Session,
    *,
    seed: int = 2026,
    first_day: dt.date | None = None,
    under_way_today: bool = False,
    history_weeks: int = 0,
    publish_first_day: bool = False,
    now: dt.datetime | None = None,
) -> DemoSummary:
    """Create the demo dataset in an empty database; same seed and day, same data.

    `under_way_today` adds three routes in progress (one visit projected to miss its SLA, one
    already breached) on the day `under_way_day` picks: today in working hours, else the next
    working day. `history_weeks` adds that many past weeks of completed, rated visits so the
    figures have something to show. `publish_first_day` plans the first day with the optimizer
    and publishes it, so the board opens on a planned day. `now` is the clock (tests).
    """
    if is_seeded(session):
        raise Conflict("the database already holds customers; seed an empty database")
    now = now or utcnow()
    rng = random.Random(seed)
    under_way = under_way_day(now) if under_way_today else None
    if first_day is None:
        # Open visits start the working day after the one under way (or tomorrow).
        after = under_way.day if under_way is not None else now.astimezone(TZ).date()
        first_day = after + dt.timedelta(days=1)
    days = working_days(first_day, 5)

    create_user(session, email=ADMIN[0], name="Demo Admin", password=ADMIN[1], role=Role.ADMIN)
    dispatcher = create_user(
        session,
        email=DISPATCHER[0],
        name="Demo Dispatcher",
        password=DISPATCHER[1],
        role=Role.DISPATCHER,
    )
    skills = [Skill(code=code, name=name) for code, name in SKILLS]
    session.add_all(skills)
    depots = [Depot(name=name, lat=lat, lon=lon) for name, lat, lon in DEPOTS]
    session.add_all(depots)
    for kind, items in CHECKLISTS.items():
        session.add(
            ChecklistTemplate(kind=kind, name=f"{kind.value.title()} checklist", items=items)
        )
    session.flush()

    session.add_all(SlaPolicy(**policy) for policy in SLA_POLICIES)
    seed_articles(session, author_user_id=dispatcher.id)
    technicians = _technicians(session, rng, depots)
    customers = _customers(session, rng)
    visits = _visits(session, rng, customers, days, now)
    if history_weeks:
        _history(session, random.Random(seed + 1), customers, technicians, history_weeks, now)
    if under_way is not None:
        _under_way(session, customers, technicians, under_way)
    published = _publish_day(session, days[0], user_id=dispatcher.id) if publish_first_day else None
    return DemoSummary(
        len(depots),
        len(technicians),
        len(customers),
        len(visits),
        days[0],
        days[-1],
        history_weeks,
        under_way,
        days[0] if published is not None else None,
        len(published.updated) if published is not None else 0,
    )


def is_seeded(session: Session) -> bool:
    """Whether the database already holds customers (the demo seeds only an empty one)."""
    return bool(session.scalar(select(func.count()).select_from(Customer)))


def existing_summary(session: Session) -> DemoSummary:
    """What an already seeded database holds (a restart keeps it and says so)."""

    def count(model: type[Any], *where: Any) -> int:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0

    open_days = session.execute(
        select(func.min(Visit.window_start), func.max(Visit.window_start)).where(
            Visit.status == VisitStatus.NEW
        )
    ).one()
    today = utcnow().astimezone(TZ).date()
    return DemoSummary(
        depots=count(Depot),
        technicians=count(Technician),
        customers=count(Customer),
        visits=count(Visit, Visit.status == VisitStatus.NEW),
        first_day=open_days[0].date() if open_days[0] else today,
        last_day=open_days[1].date() if open_days[1] else today,
        kept=True,
    )


# The demo's routes under way are shown as they stand between these local times, so every visit
# of them (09:00-17:00) lies inside the technicians' 08:30-17:30 shift.
UNDER_WAY_FROM, UNDER_WAY_UNTIL = dt.time(9, 30), dt.time(15, 30)
UNDER_WAY_DEFAULT = dt.time(11, 0)


def under_way_day(now: dt.datetime) -> UnderWay:
    """The day whose routes are shown under way: today in working hours, else the next working
    day as it stands at 11:00 (the demo says so)."""
    local = now.astimezone(TZ)
    working = local.weekday() < 5
    if working and UNDER_WAY_FROM <= local.time() <= UNDER_WAY_UNTIL:
        return UnderWay(local.date(), now, deferred=False)
    later_today = working and local.time() < UNDER_WAY_FROM
    day = working_days(local.date() + dt.timedelta(days=0 if later_today else 1), 1)[0]
    at = dt.datetime.combine(day, UNDER_WAY_DEFAULT, tzinfo=TZ).astimezone(dt.UTC)
    return UnderWay(day, at, deferred=True)


def _publish_day(session: Session, day: dt.date, *, user_id: int) -> PublishResult:
    """Plan `day` with the optimizer and publish the proposal, as a dispatcher would."""
    run = create_run(session, RunRequest(first_day=day, time_limit_s=5), user_id=user_id)
    versions, proposal = compute_proposal(session, RunRequest(first_day=day, time_limit_s=5), TZ)
    store_proposal(run, versions, proposal)
    session.flush()
    return publish_run(session, run, user_id=user_id, tz=TZ)


def _person(rng: random.Random) -> str:
    return f"{rng.choice(SURNAMES)} {rng.choice(GIVEN)}"


def _near(rng: random.Random, lat: float, lon: float, km: float) -> tuple[float, float]:
    # ~111 km per degree of latitude; longitude degrees shrink by cos(31°) ≈ 0.857.
    return (
        round(lat + rng.uniform(-km, km) / 111.0, 6),
        round(lon + rng.uniform(-km, km) / 95.0, 6),
    )


def _unique_names(rng: random.Random, count: int) -> list[str]:
    """`count` different names: technicians are told apart by name on every page."""
    names = [f"{surname} {given}" for surname in SURNAMES for given in GIVEN]
    return rng.sample(names, count)


def _technicians(session: Session, rng: random.Random, depots: list[Depot]) -> list[Technician]:
    # 12 measurers, 18 installers, 10 repairers; some hold a second trade.
    profiles = (
        [{"measure": 3}] * 8
        + [{"measure": 2, "install_wardrobe": 1}] * 4
        + [{"install_cabinet": 3, "stone_worktop": 2}] * 5
        + [{"install_cabinet": 2}] * 4
        + [{"install_wardrobe": 3}] * 5
        + [{"install_wardrobe": 2, "install_cabinet": 2}] * 4
        + [{"repair": 3, "electrical": 2}] * 4
        + [{"repair": 2}] * 4
        + [{"repair": 2, "install_wardrobe": 1, "measure": 1}] * 2
    )
    technicians = []
    names = _unique_names(rng, len(profiles))
    for number, skills in enumerate(profiles, start=1):
        depot = depots[(number - 1) % len(depots)]
        name = names[number - 1]
        user = create_user(
            session,
            email=f"tech{number:02d}@demo.fieldservice.local",
            name=name,
            password=TECHNICIAN_PASSWORD,
            role=Role.TECHNICIAN,
        )
        home_lat, home_lon = _near(rng, depot.lat, depot.lon, 6)
        technician = Technician(
            user_id=user.id,
            name=name,
            phone=f"139{rng.randrange(10**8):08d}",
            depot_id=depot.id,
            home_lat=home_lat,
            home_lon=home_lon,
            time_zone="Asia/Shanghai",
            shift_pattern=STANDARD_SHIFT,
            days_off=[],
        )
        session.add(technician)
        set_technician_skills(session, technician, skills.items())
        technicians.append(technician)
    session.flush()
    return technicians


def _customers(session: Session, rng: random.Random) -> list[Customer]:
    tiers = [CustomerTier.STANDARD] * 14 + [CustomerTier.SILVER] * 4 + [CustomerTier.GOLD] * 2
    customers = []
    for number in range(1, 1001):
        name = _person(rng)
        customer = Customer(
            name=name,
            phone=f"13{rng.randrange(10**9):09d}",
            email=f"customer{number:04d}@example.com" if rng.random() < 0.6 else None,
            tier=CustomerTier.VIP if rng.random() < 0.02 else rng.choice(tiers),
            tags=[],
        )
        lat = round(rng.uniform(*CITY_BOX[0]), 6)
        lon = round(rng.uniform(*CITY_BOX[1]), 6)
        customer.sites.append(
            Site(
                address=(
                    f"{rng.randrange(1, 1800)} {rng.choice(STREETS)}, "
                    f"Apt {rng.randrange(101, 2805)}"
                ),
                lat=lat,
                lon=lon,
                access_notes=rng.choice([None, "Call on arrival", "Gate code 4321", "Lift to 12F"]),
            )
        )
        customers.append(customer)
    session.add_all(customers)
    session.flush()
    return customers


_KIND_SKILLS = {
    VisitKind.MEASURE: [("measure", 1)],
    VisitKind.REPAIR: [("repair", 1)],
}
_INSTALL_SKILLS = {
    "kitchen": [("install_cabinet", 2)],
    "bathroom": [("install_cabinet", 1)],
    "wardrobe": [("install_wardrobe", 2)],
    "bedroom": [("install_wardrobe", 1)],
    "study": [("install_wardrobe", 1)],
}
_WINDOWS = ((9, 12), (13, 17), (9, 18))
_DURATIONS = {
    VisitKind.MEASURE: (45, 60, 90),
    VisitKind.INSTALL: (120, 180, 240),
    VisitKind.REPAIR: (45, 60, 90),
}


def fitting_windows(duration_min: int) -> list[tuple[int, int]]:
    """The customer windows (local hours) a visit of this length can be done in."""
    return [(a, b) for a, b in _WINDOWS if (b - a) * 60 >= duration_min]


def _visits(
    session: Session,
    rng: random.Random,
    customers: list[Customer],
    days: list[dt.date],
    now: dt.datetime,
) -> list[Visit]:
    chosen = rng.sample(customers, 400)
    visits = []
    # one flush for all 400 visits, not one per visit before each skill lookup
    with session.no_autoflush:
        for number, customer in enumerate(chosen):
            visits.append(_visit(session, rng, number, customer, days, now))
    session.flush()
    for visit in visits:
        record_creation(session, visit, actor_user_id=None, source="seed")
    return visits


def _visit(
    session: Session,
    rng: random.Random,
    number: int,
    customer: Customer,
    days: list[dt.date],
    now: dt.datetime,
) -> Visit:
    kind = rng.choices(list(VisitKind), weights=(35, 40, 25))[0]
    product = rng.choice(PRODUCT_LINES)
    stage = {
        VisitKind.MEASURE: OrderStage.MEASURE,
        VisitKind.INSTALL: OrderStage.INSTALL,
        VisitKind.REPAIR: OrderStage.INSTALLED,
    }[kind]
    order = Order(
        customer=customer,
        site=customer.sites[0],
        product_line=product,
        stage=stage,
        reference=f"SO-{2026_0000 + number}",
    )
    session.add(order)
    day = days[number % len(days)]
    duration = rng.choice(_DURATIONS[kind])
    # A window shorter than the work could never be kept: offer only those it fits in.
    start_h, end_h = rng.choice(fitting_windows(duration))
    window_start = dt.datetime.combine(day, dt.time(start_h), tzinfo=TZ)
    window_end = dt.datetime.combine(day, dt.time(end_h), tzinfo=TZ)
    sla_days = {VisitKind.REPAIR: 1, VisitKind.MEASURE: 2, VisitKind.INSTALL: 3}[kind]
    visit = Visit(
        kind=kind,
        customer=customer,
        site=customer.sites[0],
        order=order,
        duration_min=duration,
        window_start=window_start,
        window_end=window_end,
        sla_due=window_end + dt.timedelta(days=sla_days),
        sla_hard=kind == VisitKind.REPAIR and customer.tier == CustomerTier.VIP,
        priority=rng.choices((1, 2, 3, 4, 5), weights=(10, 25, 35, 20, 10))[0],
        status=VisitStatus.NEW,
        status_changed_at=now,
        description=f"{kind.value.title()} visit for the {product} order",
    )
    session.add(visit)
    skills = _INSTALL_SKILLS[product] if kind == VisitKind.INSTALL else _KIND_SKILLS[kind]
    set_required_skills(session, visit, skills)
    return visit


# Which technicians (by seeding order) can do each kind of visit.
_DOERS = {
    VisitKind.MEASURE: range(0, 12),
    VisitKind.INSTALL: range(12, 30),
    VisitKind.REPAIR: range(30, 40),
}


def _history(
    session: Session,
    rng: random.Random,
    customers: list[Customer],
    technicians: list[Technician],
    weeks: int,
    now: dt.datetime,
) -> None:
    """Completed visits over the past weeks, with ratings, repair outcomes and complaints."""
    today = now.astimezone(TZ).date()
    monday = today - dt.timedelta(days=today.weekday())
    # Some technicians please customers more than others: the figures should show it.
    skill = {t.id: rng.uniform(0.55, 0.95) for t in technicians}
    later: list[_Done] = []
    for week in range(weeks, 0, -1):
        for _ in range(rng.randrange(20, 32)):
            kind = rng.choices(list(VisitKind), weights=(35, 40, 25))[0]
            technician = technicians[rng.choice(_DOERS[kind])]
            customer = rng.choice(customers)
            day = monday - dt.timedelta(weeks=week) + dt.timedelta(days=rng.randrange(5))
            on_site = dt.datetime.combine(day, dt.time(rng.randrange(9, 16)), tzinfo=TZ)
            duration = rng.choice(_DURATIONS[kind])
            done = on_site + dt.timedelta(minutes=duration + rng.randrange(-10, 40))
            created = on_site - dt.timedelta(hours=rng.randrange(6, 24 * 6))
            order = Order(
                customer=customer,
                site=customer.sites[0],
                product_line=rng.choice(PRODUCT_LINES),
                stage=OrderStage.INSTALLED,
            )
            sla_days = {VisitKind.REPAIR: 3, VisitKind.MEASURE: 4, VisitKind.INSTALL: 10}[kind]
            visit = Visit(
                kind=kind,
                customer=customer,
                site=customer.sites[0],
                order=order,
                duration_min=duration,
                priority=3,
                technician_id=technician.id,
                planned_start=on_site,
                sla_due=created + dt.timedelta(days=sla_days),
                status=VisitStatus.COMPLETED,
                status_changed_at=done,
                created_at=created,
                description=f"{kind.value.title()} visit (history)",
            )
            session.add(visit)
            # every draw of the generator in the same order as ever; rows that need the visit's
            # (or the rating's) id are added once all the visits have theirs: a flush per table
            happy = rng.random() < skill[technician.id]
            fixed = None
            if kind == VisitKind.REPAIR:
                fixed = rng.random() < skill[technician.id] + 0.05
            rated = None
            if rng.random() < 0.7:
                csat = rng.choice((4, 5, 5)) if happy else rng.choice((1, 2, 3, 3))
                nps = rng.choice((9, 10, 8)) if happy else rng.choice((3, 5, 6, 7))
                rated = (csat, nps)
            later.append(_Done(visit, created, on_site, done, week, fixed, rated))
    session.flush()
    ratings = [_history_rows(session, d) for d in later]
    session.flush()
    for d, rating in zip(later, ratings, strict=True):
        if rating is not None and rating.csat <= 2:
            session.add(_history_complaint(d, rating))
    session.flush()


@dataclass(frozen=True)
class _Done:
    """A past visit of the history, and what the generator drew for its ratings and outcome."""

    visit: Visit
    created: dt.datetime
    on_site: dt.datetime
    done: dt.datetime
    week: int
    fixed: bool | None = None  # repairs: fixed the first time
    rated: tuple[int, int] | None = None  # (CSAT, NPS)


def _history_rows(session: Session, d: _Done) -> Rating | None:
    """The status history, repair outcome and rating of a flushed past visit; the rating."""
    visit = d.visit
    session.add_all(
        VisitStatusChange(
            visit_id=visit.id,
            from_status=before,
            to_status=after,
            actor_user_id=None,
            source="seed",
            at=at,
        )
        for before, after, at in (
            (None, VisitStatus.NEW, d.created),
            (VisitStatus.DISPATCHED, VisitStatus.ON_SITE, d.on_site),
            (VisitStatus.ON_SITE, VisitStatus.COMPLETED, d.done),
        )
    )
    if d.fixed is not None:
        session.add(
            RepairOutcome(
                visit_id=visit.id,
                customer_id=visit.customer_id,
                fixed=d.fixed,
                is_follow_up=False,
                first_time_fix=d.fixed,
                recorded_at=d.done,
            )
        )
    if d.rated is None:
        return None
    rating = Rating(
        visit_id=visit.id,
        customer_id=visit.customer_id,
        csat=d.rated[0],
        nps=d.rated[1],
        language="zh",
        created_at=d.done + dt.timedelta(hours=3),
    )
    session.add(rating)
    return rating


def _history_complaint(d: _Done, rating: Rating) -> Complaint:
    """The complaint an unhappy rating of the history raised (last week's still open)."""
    open_ = d.week == 1
    return Complaint(
        customer_id=d.visit.customer_id,
        visit_id=d.visit.id,
        rating_id=rating.id,
        source="rating",
        summary=f"Unhappy with the {d.visit.kind.value} visit",
        stage=ComplaintStage.ASSIGNED if open_ else ComplaintStage.CLOSED,
        due_at=d.done + dt.timedelta(days=4) if open_ else None,
        created_at=d.done + dt.timedelta(hours=4),
        closed_at=None if open_ else d.done + dt.timedelta(days=3),
    )


# The three routes under way: technician (by seeding order) -> visits (kind, local start, minutes).
# Each fits the 08:30-17:30 shift with room for the drives and a 45-minute lunch.
_UNDER_WAY_ROUTES: dict[int, tuple[tuple[VisitKind, dt.time, int], ...]] = {
    0: tuple(
        (VisitKind.MEASURE, dt.time(h, m), 60)
        for h, m in ((9, 0), (10, 30), (13, 0), (14, 30), (16, 0))
    ),
    30: tuple(
        (VisitKind.REPAIR, dt.time(h, m), 60) for h, m in ((9, 30), (11, 0), (13, 30), (15, 30))
    ),
    12: (
        (VisitKind.INSTALL, dt.time(9, 0), 180),
        (VisitKind.INSTALL, dt.time(13, 0), 120),
        (VisitKind.INSTALL, dt.time(15, 30), 90),
    ),
}
_EN_ROUTE_MIN = 20


@dataclass(frozen=True)
class RouteVisit:
    """One visit of a route under way, as it stands at the moment shown."""

    technician_index: int
    kind: VisitKind
    start: dt.datetime
    duration_min: int
    status: VisitStatus
    # (status, when) changes it has had by then, after being dispatched
    events: tuple[tuple[VisitStatus, dt.datetime], ...]
    sla_due: dt.datetime | None

    @property
    def end(self) -> dt.datetime:
        return self.start + dt.timedelta(minutes=self.duration_min)


def _progress(
    start: dt.datetime, end: dt.datetime, at: dt.datetime
) -> tuple[tuple[VisitStatus, dt.datetime], ...]:
    """The status changes a visit from `start` to `end` has had by `at`."""
    leave = start - dt.timedelta(minutes=_EN_ROUTE_MIN)
    steps = (
        (VisitStatus.EN_ROUTE, leave),
        (VisitStatus.ON_SITE, start),
        (VisitStatus.COMPLETED, end),
    )
    return tuple((status, when) for status, when in steps if when <= at)


def routes_under_way(under_way: UnderWay) -> list[RouteVisit]:
    """The three routes as they stand at `under_way.at`: done, on site, en route, to come.

    The repair route's first unfinished visit is past its SLA; the measure route's first visit
    still to come is projected to miss it.
    """
    at = under_way.at.replace(second=0, microsecond=0)
    laid_out = []
    for index, route in _UNDER_WAY_ROUTES.items():
        flagged = False
        for kind, local_start, duration in route:
            start = dt.datetime.combine(under_way.day, local_start, tzinfo=TZ)
            end = start + dt.timedelta(minutes=duration)
            events = _progress(start, end, at)
            status = events[-1][0] if events else VisitStatus.DISPATCHED
            due = None
            if not flagged and kind == VisitKind.REPAIR and status != VisitStatus.COMPLETED:
                due, flagged = at - dt.timedelta(minutes=10), True
            elif (
                not flagged and kind == VisitKind.MEASURE and start >= at + dt.timedelta(minutes=30)
            ):
                due, flagged = start + dt.timedelta(minutes=duration // 2), True
            laid_out.append(RouteVisit(index, kind, start, duration, status, events, due))
    return laid_out


def _under_way(
    session: Session,
    customers: list[Customer],
    technicians: list[Technician],
    under_way: UnderWay,
) -> None:
    """Store the routes under way (`routes_under_way`) with their status history."""
    created = under_way.at - dt.timedelta(days=1)
    for number, planned in enumerate(routes_under_way(under_way)):
        technician = technicians[planned.technician_index]
        customer = customers[-1 - number]
        site = customer.sites[0]
        # Close to the technician's home, so the day is believable.
        site.lat = round(technician.home_lat + 0.01 * (number % 3) - 0.01, 6)
        site.lon = round(technician.home_lon + 0.012 * (number % 2), 6)
        events = planned.events
        visit = Visit(
            kind=planned.kind,
            customer=customer,
            site=site,
            duration_min=planned.duration_min,
            window_start=planned.start - dt.timedelta(minutes=60),
            window_end=planned.end + dt.timedelta(minutes=60),
            sla_due=planned.sla_due,
            priority=2,
            technician_id=technician.id,
            planned_start=planned.start,
            status=planned.status,
            status_changed_at=events[-1][1] if events else created,
            created_at=created,
            description=f"{planned.kind.value.title()} visit under way",
        )
        session.add(visit)
        set_required_skills(
            session, visit, _KIND_SKILLS.get(planned.kind, [("install_cabinet", 1)])
        )
        session.flush()
        session.add(
            VisitStatusChange(
                visit_id=visit.id,
                from_status=None,
                to_status=VisitStatus.NEW,
                actor_user_id=None,
                source="seed",
                at=created,
            )
        )
        previous = [VisitStatus.DISPATCHED] + [to for to, _ in events]
        session.add_all(
            VisitStatusChange(
                visit_id=visit.id,
                from_status=before,
                to_status=to,
                actor_user_id=technician.user_id,
                source="phone",
                at=when,
            )
            for before, (to, when) in zip(previous, events, strict=False)
        )
    session.flush()
