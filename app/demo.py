"""A reproducible city-scale demo dataset: Shanghai, 3 depots, 40 technicians, 400 open visits."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.database import utcnow
from app.errors import Conflict
from app.models import (
    ChecklistTemplate,
    Customer,
    CustomerTier,
    Depot,
    Order,
    OrderStage,
    Role,
    Site,
    Skill,
    Technician,
    Visit,
    VisitKind,
    VisitStatus,
)
from app.services.accounts import create_user
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
        {"key": "room_width_cm", "label": "Room width (cm)", "type": "number", "required": True},
        {"key": "room_depth_cm", "label": "Room depth (cm)", "type": "number", "required": True},
        {"key": "room_height_cm", "label": "Room height (cm)", "type": "number", "required": True},
        {
            "key": "wall_photos",
            "label": "A photo of each wall",
            "type": "photo",
            "required": True,
            "min_photos": 4,
            "photo_kind": "wall",
        },
    ],
    VisitKind.INSTALL: [
        {"key": "items_installed", "label": "Items installed", "type": "text", "required": True},
        {
            "key": "before_photos",
            "label": "Photos before installing",
            "type": "photo",
            "required": True,
            "min_photos": 1,
            "photo_kind": "before",
        },
        {
            "key": "after_photos",
            "label": "Photos after installing",
            "type": "photo",
            "required": True,
            "min_photos": 1,
            "photo_kind": "after",
        },
        {
            "key": "customer_signature",
            "label": "Customer signature",
            "type": "signature",
            "required": True,
        },
    ],
    VisitKind.REPAIR: [
        {
            "key": "fault_cause",
            "label": "Cause of the fault",
            "type": "choice",
            "required": True,
            "choices": ["wear", "installation", "manufacturing", "misuse", "other"],
        },
        {"key": "parts_used", "label": "Parts used", "type": "text", "required": True},
        {"key": "fixed", "label": "Fixed on this visit", "type": "boolean", "required": True},
    ],
}


@dataclass(frozen=True)
class DemoSummary:
    depots: int
    technicians: int
    customers: int
    visits: int
    first_day: dt.date
    last_day: dt.date

    def describe(self) -> str:
        return "\n".join(
            [
                f"Seeded Shanghai demo: {self.depots} depots, {self.technicians} technicians, "
                f"{self.customers} customers, {self.visits} open visits "
                f"from {self.first_day} to {self.last_day}.",
                f"  admin:       {ADMIN[0]} / {ADMIN[1]}",
                f"  dispatcher:  {DISPATCHER[0]} / {DISPATCHER[1]}",
                f"  technicians: tech01@demo.fieldservice.local .. tech40@... / "
                f"{TECHNICIAN_PASSWORD}",
            ]
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
    session: Session, *, seed: int = 2026, first_day: dt.date | None = None
) -> DemoSummary:
    """Create the demo dataset in an empty database; same seed and day, same data."""
    if session.scalar(select(func.count()).select_from(Customer)):
        raise Conflict("the database already holds customers; seed an empty database")
    rng = random.Random(seed)
    first_day = first_day or (utcnow().astimezone(TZ).date() + dt.timedelta(days=1))
    days = working_days(first_day, 5)

    create_user(session, email=ADMIN[0], name="Demo Admin", password=ADMIN[1], role=Role.ADMIN)
    create_user(
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

    technicians = _technicians(session, rng, depots)
    customers = _customers(session, rng)
    visits = _visits(session, rng, customers, days)
    return DemoSummary(
        len(depots), len(technicians), len(customers), len(visits), days[0], days[-1]
    )


def _person(rng: random.Random) -> str:
    return f"{rng.choice(SURNAMES)} {rng.choice(GIVEN)}"


def _near(rng: random.Random, lat: float, lon: float, km: float) -> tuple[float, float]:
    # ~111 km per degree of latitude; longitude degrees shrink by cos(31°) ≈ 0.857.
    return (
        round(lat + rng.uniform(-km, km) / 111.0, 6),
        round(lon + rng.uniform(-km, km) / 95.0, 6),
    )


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
    for number, skills in enumerate(profiles, start=1):
        depot = depots[(number - 1) % len(depots)]
        name = _person(rng)
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


def _visits(
    session: Session, rng: random.Random, customers: list[Customer], days: list[dt.date]
) -> list[Visit]:
    now = utcnow()
    chosen = rng.sample(customers, 400)
    visits = []
    for number, customer in enumerate(chosen):
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
        start_h, end_h = rng.choice(_WINDOWS)
        window_start = dt.datetime.combine(day, dt.time(start_h), tzinfo=TZ)
        window_end = dt.datetime.combine(day, dt.time(end_h), tzinfo=TZ)
        sla_days = {VisitKind.REPAIR: 1, VisitKind.MEASURE: 2, VisitKind.INSTALL: 3}[kind]
        visit = Visit(
            kind=kind,
            customer=customer,
            site=customer.sites[0],
            order=order,
            duration_min=rng.choice(_DURATIONS[kind]),
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
        visits.append(visit)
    session.flush()
    for visit in visits:
        record_creation(session, visit, actor_user_id=None, source="seed")
    return visits
