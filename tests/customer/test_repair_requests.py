"""Self-service repair requests: identify, describe, photos, windows → a repair visit in `new`."""

from __future__ import annotations

import io

from sqlalchemy import select

from app import models
from app.database import db
from app.services.sla.clocks import visit_clocks
from app.services.sla.policies import active_policies, policy_for
from tests import factories


def _describe(client, phone="13800138000", number="KC-2026-0001", text="柜门合页松了 关不上"):
    return client.post(
        "/request?lang=en",
        data={"step": "describe", "phone": phone, "order_number": number, "description": text},
    )


def _draft(html: str) -> str:
    return html.split('name="draft" value="')[1].split('"')[0]


def _windows(html: str, count: int = 2) -> list[str]:
    return [part.split('"')[0] for part in html.split('name="window" value="')[1:]][:count]


def _details(client, html, order_id, photos, windows=None, action="/request?lang=en"):
    data = {
        "step": "details",
        "draft": _draft(html),
        "product": str(order_id),
        "window": windows if windows is not None else _windows(html),
        "photos": [(io.BytesIO(b), f"p{i}.jpg") for i, b in enumerate(photos)],
    }
    return client.post(action, data=data, content_type="multipart/form-data")


def test_the_form_asks_for_phone_and_order_number(client):
    html = client.get("/request?lang=en").text
    assert 'name="phone"' in html
    assert 'name="order_number"' in html


def test_a_request_with_photos_becomes_a_repair_visit_in_new(client, order, jpeg, settings):
    step = _describe(client)
    assert step.status_code == 200
    assert "kitchen · KC-2026-0001" in step.text
    done = _details(client, step.text, order.id, [jpeg(), jpeg((1, 2, 3))])
    assert done.status_code == 201
    found = db.session.scalar(select(models.RepairRequest))
    visit = db.session.get(models.Visit, found.visit_id)
    assert (visit.kind, visit.status, visit.order_id) == ("repair", "new", order.id)
    assert found.channel == "public"
    assert found.description == "柜门合页松了 关不上"
    assert len(found.proposed_windows) == 2
    photos = db.session.scalars(select(models.Photo).where(models.Photo.visit_id == visit.id)).all()
    assert [p.kind for p in photos] == ["damage", "damage"]
    assert f"number is {visit.id}" in done.text


def test_the_repair_visits_sla_clock_runs_from_the_request(client, order, jpeg):
    factories.SlaPolicyFactory(kind=models.VisitKind.REPAIR, response_min=240, resolution_min=2880)
    step = _describe(client)
    _details(client, step.text, order.id, [])
    visit = db.session.scalar(select(models.Visit).where(models.Visit.kind == "repair"))
    policy = policy_for(active_policies(db.session), visit.kind, visit.priority, "standard")
    clocks = visit_clocks(visit, policy, visit.created_at)
    assert [(c.target, c.state) for c in clocks] == [("response", "ok"), ("resolution", "ok")]
    assert clocks[0].due == visit.created_at + __import__("datetime").timedelta(minutes=240)


def test_the_customer_confirmation_message_is_queued(client, order):
    step = _describe(client)
    _details(client, step.text, order.id, [])
    message = db.session.scalar(
        select(models.OutboxMessage).where(models.OutboxMessage.topic == "request_received")
    )
    assert message.recipient == "zw@example.com"
    assert "/p/" in message.body


def test_wrong_phone_and_wrong_order_number_get_the_same_answer(client, order):
    other = factories.CustomerFactory(phone="13911112222")
    factories.OrderFactory(customer=other, reference="KC-OTHER")
    answers = [
        _describe(client, phone="13911112222"),  # a real phone, someone else's
        _describe(client, number="KC-OTHER"),  # a real order, someone else's
        _describe(client, number="KC-NOPE"),
    ]
    assert [a.status_code for a in answers] == [422, 422, 422]
    assert (
        len(
            {
                a.text.replace("KC-OTHER", "")
                .replace("KC-NOPE", "")
                .replace("KC-2026-0001", "")
                .replace("13911112222", "")
                .replace("13800138000", "")
                for a in answers
            }
        )
        == 1
    )
    assert "We could not find an order" in answers[0].text
    assert "kitchen" not in answers[0].text


def test_a_phone_written_with_country_code_and_dashes_is_recognised(client, order):
    assert _describe(client, phone="+86 138-0013-8000").status_code == 200


def test_more_than_six_photos_are_refused_and_nothing_is_written(client, order, jpeg):
    step = _describe(client)
    answer = _details(client, step.text, order.id, [jpeg()] * 7)
    assert answer.status_code == 422
    assert db.session.scalar(select(models.Visit)) is None


def test_a_file_that_is_not_an_image_is_refused_and_nothing_is_written(client, order, jpeg):
    step = _describe(client)
    answer = _details(client, step.text, order.id, [jpeg(), b"%PDF-1.4 not an image"])
    assert answer.status_code == 422
    assert "JPEG, PNG or WebP" in answer.text
    assert db.session.scalar(select(models.Visit)) is None
    assert db.session.scalar(select(models.Photo)) is None


def test_a_window_is_required(client, order):
    step = _describe(client)
    answer = _details(client, step.text, order.id, [], windows=[])
    assert answer.status_code == 422
    assert "one to three of the offered times" in answer.text


def test_a_tampered_draft_is_refused(client, order):
    step = _describe(client)
    tampered = step.text.replace('name="draft" value="', 'name="draft" value="x')
    answer = _details(client, tampered, order.id, [])
    assert answer.status_code == 422
    assert db.session.scalar(select(models.Visit)) is None


def test_a_product_of_another_customer_cannot_be_picked(client, order):
    stranger = factories.OrderFactory(reference="KC-OTHER")
    step = _describe(client)
    answer = _details(client, step.text, stranger.id, [])
    assert answer.status_code == 422
    assert db.session.scalar(select(models.Visit)) is None


def test_from_the_progress_page_no_phone_or_order_number_is_asked(client, order, progress_token):
    token = progress_token(order)
    form = client.get(f"/p/{token}/request?lang=en").text
    assert 'name="phone"' not in form
    step = client.post(
        f"/p/{token}/request?lang=en", data={"step": "describe", "description": "抽屉卡住了"}
    )
    assert step.status_code == 200
    done = _details(client, step.text, order.id, [], action=f"/p/{token}/request?lang=en")
    assert done.status_code == 201
    assert db.session.scalar(select(models.RepairRequest.channel)) == "progress"


def test_identification_is_rate_limited_per_phone_number(client, order, app):
    limit = int(app.extensions["settings"].customer_request_limit_per_phone.split()[0])
    answers = [
        client.post(
            "/request",
            data={
                "step": "describe",
                "phone": "13800138000",
                "order_number": "KC-NOPE",
                "description": "x",
            },
            environ_base={"REMOTE_ADDR": f"10.0.0.{i + 1}"},
        ).status_code
        for i in range(limit + 1)
    ]
    assert answers[:limit] == [422] * limit
    assert answers[-1] == 429


def test_requests_are_rate_limited_per_client_address(client, order, app):
    limit = int(app.extensions["settings"].customer_request_limit_per_client.split()[0])
    answers = [
        client.post(
            "/request",
            data={
                "step": "describe",
                "phone": f"1390000{i:04d}",
                "order_number": "KC-NOPE",
                "description": "x",
            },
        ).status_code
        for i in range(limit + 1)
    ]
    assert answers[:limit] == [422] * limit
    assert answers[-1] == 429
