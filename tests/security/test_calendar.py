"""Every date a client gives is refused by name outside the years 1900-2200, never a 500."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from app import dates, models
from app.errors import ValidationFailed
from app.services import intake
from tests.console.test_service_desk_pages import _new_caller
from tests.factories import TechnicianFactory, VisitFactory, assigned_visit
from tests.sync.phones import mutation, new_id, push_raw

EDGE_MOMENTS = [
    "9999-12-31T20:00:00-08:00",
    "9999-12-31T09:00:00+08:00",
    "0001-01-01T09:00:00+08:00",
]


@pytest.mark.parametrize(
    "value",
    [
        dt.date(1, 1, 1),
        dt.date(9999, 12, 31),
        dt.datetime(9999, 12, 31, 23, tzinfo=dt.timezone(dt.timedelta(hours=-8))),
        dt.datetime(1, 1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=8))),
        dt.datetime(2201, 1, 1),
    ],
)
def test_the_one_calendar_rule_refuses_the_edges_and_overflowing_offsets(value):
    with pytest.raises(dates.OutsideCalendar):
        dates.check(value)


def test_the_one_calendar_rule_keeps_dates_within_its_years():
    inside = dt.datetime(2200, 12, 31, 23, tzinfo=dt.UTC)
    assert dates.check(inside) is inside
    assert dates.parse_date("1900-01-01") == dt.date(1900, 1, 1)


@pytest.fixture
def console(sign_in, dispatcher):
    return sign_in(dispatcher)


def _intake(console, **fields):
    return console.client.post(
        "/console/intake",
        data={"csrf_token": console.csrf, **_new_caller(**fields)},
        headers={"Accept": "application/json"},
    )


@pytest.mark.parametrize("moment", EDGE_MOMENTS)
def test_a_phone_request_for_a_window_at_the_edge_of_the_calendar_is_a_422(
    console, session, moment
):
    start = dt.datetime.fromisoformat(moment)
    window = f"{moment}/{(start + dt.timedelta(hours=3)).isoformat()}"
    response = _intake(console, window=window, kind="measure", product_line="")
    assert response.status_code == 422, response.text
    assert response.json["code"] == "validation_error"
    assert "window" in response.json["errors"]
    assert session.scalar(select(func.count()).select_from(models.Customer)) == 0


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_a_phone_request_for_a_typed_day_at_the_edge_of_the_calendar_is_a_422(
    console, session, day
):
    response = _intake(
        console, window="custom", window_day=day, window_from="09:00", window_to="12:00"
    )
    assert response.status_code == 422, response.text
    assert response.json["errors"]["window"] == [dates.MESSAGE]
    assert session.scalar(select(func.count()).select_from(models.Customer)) == 0


@pytest.mark.parametrize("taken_at", ["9999-12-31T23:00:00-08:00", "0001-01-01T00:00:00+00:00"])
def test_a_photo_pushed_with_a_taken_at_outside_the_calendar_is_rejected_by_name(
    session, phone, technician, taken_at
):
    visit = assigned_visit(technician)
    device = phone(technician.user)
    attach = mutation(
        1, "photo.attach", visit_id=visit.id, photo_id=new_id(), sha256="a" * 64, taken_at=taken_at
    )
    status, body = push_raw(device, [attach])
    assert status == 200, body
    assert body["results"][0]["outcome"] == "rejected"
    assert "taken_at" in body["results"][0]["details"]["fields"]
    assert session.scalar(select(func.count()).select_from(models.Photo)) == 0


@pytest.mark.parametrize("device_time", ["9999-12-31T23:00:00-08:00", "0001-01-01T00:00:00+00:00"])
def test_a_mutation_with_a_device_time_outside_the_calendar_is_refused(
    session, phone, technician, device_time
):
    visit = assigned_visit(technician)
    device = phone(technician.user)
    note = mutation(
        1, "visit.add_note", device_time=device_time, visit_id=visit.id, note_id=new_id(), body="x"
    )
    status, body = push_raw(device, [note])
    assert status == 422, body
    assert body["code"] == "validation_error"


def test_the_intake_service_refuses_a_window_outside_the_calendar_whoever_calls_it(session):
    far = dt.datetime(9999, 12, 31, 9, tzinfo=dt.UTC)
    request = intake.PhoneRequest(
        kind=models.VisitKind.MEASURE,
        window_start=far,
        window_end=far + dt.timedelta(hours=3),
        priority=3,
        new_customer=intake.NewCustomer(name="Zhang San", phone="13912345678"),
        new_site=intake.NewSite(address="88 Century Ave"),
    )
    with pytest.raises(ValidationFailed) as refused:
        intake.take_call(session, request, actor_user_id=None)
    assert "window_start" in refused.value.fields


@pytest.mark.parametrize("start", ["9999-12-31T23:00:00-08:00", "0001-01-01T00:00:00"])
def test_locking_a_visit_to_a_time_outside_the_calendar_is_a_422(console, session, start):
    visit, technician = VisitFactory(), TechnicianFactory()
    response = console.client.post(
        f"/console/visits/{visit.id}/lock",
        data={
            "csrf_token": console.csrf,
            "lock": "technician_time",
            "technician_id": str(technician.id),
            "planned_start": start,
        },
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 422, response.text
    assert "planned_start" in response.json["errors"]
