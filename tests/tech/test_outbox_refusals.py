"""A push the server refuses as a whole: the phone finds its way out, nothing lost or doubled.

docs/sync.md, "What refuses the whole batch": a numbering the server disagrees with is fixed by
renumbering the outbox from the server's count; a malformed entry is set aside and shown; an
app too old keeps its outbox and says so. The server refuses for real in every case.
"""

from __future__ import annotations

import json

from playwright.sync_api import expect
from sqlalchemy import delete, func, select

from app import models


def notes_on(session, visit_id: int) -> list[str]:
    session.expire_all()
    return session.scalars(
        select(models.VisitNote.body)
        .where(models.VisitNote.visit_id == visit_id)
        .order_by(models.VisitNote.device_time)  # the order the technician wrote them in
    ).all()


def device_of(session, technician) -> models.Device:
    session.expire_all()
    return session.scalar(
        select(models.Device).where(models.Device.technician_id == technician.id)
    )


def receipts(session, device: models.Device) -> list[int]:
    return session.scalars(
        select(models.MutationReceipt.mutation_id)
        .where(models.MutationReceipt.device_pk == device.id)
        .order_by(models.MutationReceipt.mutation_id)
    ).all()


def add_note_offline(phone, visit_id: int, body: str) -> None:
    page = phone.page
    phone.offline()
    page.goto(f"{phone.base_url}/tech/#/visit/{visit_id}")
    page.fill("#note", body)
    page.click("#add-note")
    page.wait_for_selector("#notes li.pending")


def push_statuses(page) -> list[int]:
    statuses: list[int] = []
    page.on("response", lambda r: statuses.append(r.status) if "/sync/push" in r.url else None)
    return statuses


def test_a_server_count_ahead_of_the_phone_is_met_by_renumbering_and_the_note_lands_once(
    tech_phone, tech_day, session
):
    phone, page = tech_phone, tech_phone.page
    visit = tech_day.install
    phone.sign_in(tech_day.technician.user)
    add_note_offline(phone, visit.id, "门禁坏了 走北门")
    # The server already answered mutations 1-7 of this device id (e.g. an earlier install):
    # the phone's mutation 1 is a reused id, and the whole batch is refused.
    device = device_of(session, tech_day.technician)
    device.last_acked_mutation_id = 7
    session.commit()

    statuses = push_statuses(page)
    phone.offline(False)
    phone.wait_synced()

    assert statuses[:2] == [409, 200]  # mutation_id_reused, then the renumbered outbox
    assert notes_on(session, visit.id) == ["门禁坏了 走北门"]
    device = device_of(session, tech_day.technician)
    assert device.last_acked_mutation_id == 8
    assert receipts(session, device) == [8]
    expect(page.locator("#problems")).to_have_count(0)

    # Later work numbers on from the server's count: no refusal, no second copy.
    add_note_offline(phone, visit.id, "客户改约 下午三点")
    phone.offline(False)
    phone.wait_synced()
    assert statuses[2:] == [200]
    assert notes_on(session, visit.id) == ["门禁坏了 走北门", "客户改约 下午三点"]


def test_a_server_count_behind_the_phone_is_met_by_renumbering_and_the_note_lands_once(
    tech_phone, tech_day, session
):
    phone, page = tech_phone, tech_phone.page
    visit = tech_day.install
    phone.sign_in(tech_day.technician.user)
    page.goto(f"{phone.base_url}/tech/#/visit/{visit.id}")
    page.fill("#note", "第一条")
    page.click("#add-note")
    page.wait_for_selector("#notes li:not(.pending):has-text('第一条')")
    phone.wait_synced()
    add_note_offline(phone, visit.id, "第二条")
    # The server's count went back (restored from a backup taken before mutation 1): the
    # phone's mutation 2 leaves a gap, and the whole batch is refused.
    device = device_of(session, tech_day.technician)
    session.execute(
        delete(models.MutationReceipt).where(models.MutationReceipt.device_pk == device.id)
    )
    device.last_acked_mutation_id = 0
    session.commit()

    statuses = push_statuses(page)
    phone.offline(False)
    phone.wait_synced()

    assert statuses[:2] == [409, 200]  # mutation_sequence_gap, then the renumbered outbox
    assert notes_on(session, visit.id) == ["第一条", "第二条"]
    assert receipts(session, device_of(session, tech_day.technician)) == [1]


def test_a_malformed_entry_is_set_aside_and_shown_and_the_rest_lands_once(
    tech_phone, tech_day, session
):
    phone, page = tech_phone, tech_phone.page
    visit = tech_day.measure
    phone.sign_in(tech_day.technician.user)
    phone.offline()
    # An entry an older version of the app wrote with a time the server cannot read, queued
    # before a note: the envelope is refused (422) as long as the entry is in the batch.
    page.evaluate(
        """async (visitId) => {
          const store = await import('/tech/static/js/store.js');
          const m = await store.enqueue('visit.start_travel', {visit_id: visitId});
          const database = await store.db();
          await database.put('outbox', {...m, device_time: 'yesterday noon'});
        }""",
        visit.id,
    )
    add_note_offline(phone, visit.id, "带了样板")

    statuses = push_statuses(page)
    phone.offline(False)
    phone.wait_synced()

    assert statuses[:2] == [422, 200]
    assert notes_on(session, visit.id) == ["带了样板"]
    device = device_of(session, tech_day.technician)
    assert receipts(session, device) == [1]
    session.expire_all()
    assert session.get(models.Visit, visit.id).status == models.VisitStatus.DISPATCHED
    page.goto(f"{phone.base_url}/tech/#/")
    page.wait_for_selector("#problems .problem-rejected")
    text = page.locator("#problems").inner_text()
    assert "「出发」被拒绝" in text
    assert "服务器无法识别" in text
    phone.shoot("tech-malformed-set-aside")


def test_an_app_too_old_for_the_server_keeps_its_outbox_and_says_so(
    tech_phone, tech_day, session
):
    phone, page = tech_phone, tech_phone.page
    visit = tech_day.repair
    phone.sign_in(tech_day.technician.user)
    add_note_offline(phone, visit.id, "需要带梯子")

    # This copy of the app speaks a protocol version the server no longer supports.
    def too_old(route):
        body = json.loads(route.request.post_data)
        route.continue_(post_data=json.dumps({**body, "protocol_version": 99}))

    page.route("**/mobile/v1/sync/push", too_old)
    phone.offline(False)
    page.wait_for_selector("#status .error")
    status = page.locator("#status").inner_text()
    assert "服务器已不再接受此版本的应用" in status
    assert "1 条更改保存在手机上" in status
    assert page.locator("#pending-count").get_attribute("data-n") == "1"
    assert notes_on(session, visit.id) == []
    page.evaluate("window.scrollTo(0, 0)")
    phone.shoot("tech-app-too-old")

    # Updated: the kept note is sent, once.
    page.unroute("**/mobile/v1/sync/push")
    page.click("#sync-now")
    phone.wait_synced()
    assert notes_on(session, visit.id) == ["需要带梯子"]
    assert session.scalar(select(func.count()).select_from(models.MutationReceipt)) == 1
