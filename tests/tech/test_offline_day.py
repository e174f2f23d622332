"""A whole visit worked offline in the browser, and everything arriving once on reconnect."""

from __future__ import annotations

import hashlib
from pathlib import Path

from playwright.sync_api import expect
from sqlalchemy import func, select

from app import models
from tests.tech.conftest import jpeg_bytes


def count(session, model, **where) -> int:
    stmt = select(func.count()).select_from(model)
    for name, value in where.items():
        stmt = stmt.where(getattr(model, name) == value)
    return session.scalar(stmt)


def sign(page) -> None:
    """Draw a signature on the pad with the mouse."""
    box = page.locator("#signature-pad").bounding_box()
    x, y = box["x"] + 30, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    for step in range(1, 12):  # a zigzag of eleven strokes: each move is one pointer event
        page.mouse.move(x + step * 22, y + (18 if step % 2 else -18))
    page.mouse.up()


def test_a_visit_completed_offline_arrives_exactly_once_on_reconnect(
    installed_phone, tech_day, session, settings, tmp_path
):
    phone, page = installed_phone, installed_phone.page
    visit = tech_day.install
    phone.sign_in(tech_day.technician.user)
    phone.wait_controlled()

    phone.offline()
    page.reload()
    page.wait_for_selector(f"#route li[data-visit='{visit.id}']")
    expect(page.locator("#status .offline")).to_have_count(1)
    page.click(f"#route li[data-visit='{visit.id}'] a")
    page.wait_for_selector("#visit")
    assert "门禁 4411" in page.locator("#visit").inner_text()
    assert page.locator("#call").get_attribute("href").startswith("tel:")
    assert page.locator("#nav-geo").get_attribute("href").startswith("geo:31.2352,121.4753")
    assert "uri.amap.com" in page.locator("#nav-amap").get_attribute("href")
    assert "api.map.baidu.com" in page.locator("#nav-baidu").get_attribute("href")

    page.click("#start-travel")
    page.wait_for_selector("#visit[data-status='en_route']")
    page.click("#arrive")
    page.wait_for_selector("#visit[data-status='on_site']")
    assert page.locator("#complete").is_disabled()
    assert page.locator("#missing").get_attribute("data-count") == "4"

    page.fill("#answer-items_installed", "主卧衣柜 2 门")
    page.locator("#answer-items_installed").blur()
    page.wait_for_selector("#missing[data-count='3']")
    photo = tmp_path / "camera.jpg"
    photo.write_bytes(jpeg_bytes((2400, 1600)))  # larger than the 2048 px the app keeps
    page.set_input_files("#photo-before_photos", str(photo))
    page.wait_for_selector("#missing[data-count='2']")
    page.set_input_files("#photo-after_photos", str(photo))
    page.wait_for_selector("#missing[data-count='1']")
    page.locator("#signature-pad").scroll_into_view_if_needed()
    sign(page)
    page.fill("#signer-name", "张伟")
    page.click("#save-signature")
    page.wait_for_selector("#missing[data-count='0']")
    page.fill("#note", "客户要求下周再来调门")
    page.click("#add-note")
    page.wait_for_selector("#notes li.pending")
    page.locator("#visit").scroll_into_view_if_needed()
    page.evaluate("window.scrollTo(0, 0)")
    phone.shoot("tech-visit-offline")
    page.locator("#checklist").scroll_into_view_if_needed()
    page.evaluate("document.querySelector('#checklist').scrollIntoView()")
    phone.shoot("tech-checklist-offline")
    page.click("#complete")
    page.wait_for_selector("#visit[data-status='completed']")
    pending = int(page.locator("#status").get_attribute("data-pending"))
    assert pending == 8  # travel, arrive, answer, 2 photos, signature, note, complete

    # Nothing reached the server while offline.
    session.expire_all()
    assert session.get(models.Visit, visit.id).status == models.VisitStatus.DISPATCHED

    phone.offline(False)  # the browser's `online` event starts the sync
    phone.wait_synced()
    page.click("#sync-now")  # and a second sync sends nothing twice
    phone.wait_synced()

    session.expire_all()
    done = session.get(models.Visit, visit.id)
    assert done.status == models.VisitStatus.COMPLETED
    assert count(session, models.VisitStatusChange, visit_id=visit.id) == 3
    answers = session.scalars(
        select(models.ChecklistAnswer).where(models.ChecklistAnswer.visit_id == visit.id)
    ).all()
    assert [(a.item_key, a.value) for a in answers] == [("items_installed", "主卧衣柜 2 门")]
    photos = session.scalars(
        select(models.Photo).where(models.Photo.visit_id == visit.id).order_by(models.Photo.kind)
    ).all()
    assert sorted(p.kind.value for p in photos) == ["after", "before"]
    store = Path(settings.upload_folder)
    for p in photos:
        blob = session.get(models.PhotoBlob, p.sha256)
        assert blob is not None, "the photo's bytes arrived"
        assert (blob.content_type, max(blob.width, blob.height)) == ("image/jpeg", 2048)
        stored = [f for f in store.rglob(p.sha256) if f.is_file()]  # not its thumbnail
        assert stored, "the bytes are in the upload store"
        assert hashlib.sha256(stored[0].read_bytes()).hexdigest() == p.sha256
    signatures = session.scalars(
        select(models.Signature).where(models.Signature.visit_id == visit.id)
    ).all()
    assert [s.signer_name for s in signatures] == ["张伟"]
    assert session.get(models.PhotoBlob, signatures[0].sha256).content_type == "image/png"
    assert count(session, models.VisitNote, visit_id=visit.id) == 1
    device = session.scalar(select(models.Device))
    assert device.last_acked_mutation_id == 8
    assert count(session, models.MutationReceipt) == 8

    page.reload()
    page.wait_for_selector("#visit[data-status='completed']")
    assert page.locator("#status").get_attribute("data-pending") == "0"


def test_a_visit_that_cannot_be_finished_is_marked_incomplete_with_its_reason(
    tech_phone, tech_day, session
):
    phone, page = tech_phone, tech_phone.page
    visit = tech_day.repair
    phone.sign_in(tech_day.technician.user)
    phone.offline()
    page.click(f"#route li[data-visit='{visit.id}'] a")
    page.click("#arrive")
    page.wait_for_selector("#visit[data-status='on_site']")
    page.click("#incomplete")
    page.fill("#incomplete-reason", "缺少铰链配件")
    page.click("#confirm-incomplete")
    page.wait_for_selector("#visit[data-status='incomplete']")
    expect(page.locator("#start-travel, #arrive, #complete, #incomplete")).to_have_count(0)
    phone.offline(False)
    phone.wait_synced()
    session.expire_all()
    assert session.get(models.Visit, visit.id).status == models.VisitStatus.INCOMPLETE
    notes = session.scalars(
        select(models.VisitNote.body).where(models.VisitNote.visit_id == visit.id)
    ).all()
    assert notes == ["Incomplete: 缺少铰链配件"]
