"""What the server refused or sent for review is shown in plain words, never dropped."""

from __future__ import annotations

from playwright.sync_api import expect
from sqlalchemy import select

from app import models
from tests import factories


def test_a_visit_reassigned_while_offline_disappears_and_the_work_is_sent_for_review(
    tech_phone, tech_day, session
):
    phone, page = tech_phone, tech_phone.page
    visit = tech_day.measure
    phone.sign_in(tech_day.technician.user)
    phone.offline()
    page.click(f"#route li[data-visit='{visit.id}'] a")
    page.click("#start-travel")
    page.wait_for_selector("#visit[data-status='en_route']")
    page.fill("#note", "路上堵车 晚到 20 分钟")
    page.click("#add-note")
    page.wait_for_selector("#notes li.pending")

    # Meanwhile the dispatcher gives the visit to someone else.
    other = factories.TechnicianFactory(with_user=True)
    moved = session.get(models.Visit, visit.id)
    moved.technician_id = other.id
    session.commit()

    phone.offline(False)
    phone.wait_synced()
    page.goto(f"{phone.base_url}/tech/#/")
    page.wait_for_selector("#problems")
    expect(page.locator(f"#route li[data-visit='{visit.id}']")).to_have_count(0)
    text = page.locator("#problems").inner_text()
    assert "已提交审核" in text
    assert str(visit.id) in text
    phone.shoot("tech-sent-for-review")

    session.expire_all()
    reviews = session.scalars(
        select(models.VisitReview).where(models.VisitReview.visit_id == visit.id)
    ).all()
    assert reviews, "the status move is kept for the dispatcher"
    notes = session.scalars(
        select(models.VisitNote.body).where(models.VisitNote.visit_id == visit.id)
    ).all()
    assert notes == ["路上堵车 晚到 20 分钟"]
    assert session.get(models.Visit, visit.id).status == models.VisitStatus.DISPATCHED


def test_an_answer_refused_by_the_server_is_explained_to_the_technician(
    tech_phone, tech_day, session
):
    phone, page = tech_phone, tech_phone.page
    visit = tech_day.install
    phone.sign_in(tech_day.technician.user)
    phone.offline()
    page.click(f"#route li[data-visit='{visit.id}'] a")
    page.click("#arrive")
    page.wait_for_selector("#visit[data-status='on_site']")
    page.fill("#answer-items_installed", "鞋柜")
    page.locator("#answer-items_installed").blur()
    page.wait_for_selector("#missing[data-count='3']")

    # The office changes the install checklist while the phone is offline.
    template = session.scalar(
        select(models.ChecklistTemplate).where(
            models.ChecklistTemplate.kind == models.VisitKind.INSTALL
        )
    )
    template.items = [
        {**item, "key": "installed_items"} if item["key"] == "items_installed" else item
        for item in template.items
    ]
    session.commit()

    phone.offline(False)
    phone.wait_synced()
    page.wait_for_selector("#problems .problem-rejected")
    text = page.locator("#problems").inner_text()
    assert "被拒绝" in text
    assert "检查单已更改" in text
    expect(page.locator("#problem-count")).to_have_count(1)
    page.evaluate("window.scrollTo(0, 0)")
    phone.shoot("tech-rejected")
    page.click("#problems button")
    page.wait_for_selector("#problems", state="detached")
    session.expire_all()
    assert session.get(models.Visit, visit.id).status == models.VisitStatus.ON_SITE


def test_a_cursor_past_retention_rebuilds_the_phone_and_keeps_its_work(
    tech_phone, tech_day, session, settings
):
    import datetime as dt

    from sync import feed

    phone, page = tech_phone, tech_phone.page
    visit = tech_day.install
    phone.sign_in(tech_day.technician.user)
    phone.offline()
    page.click(f"#route li[data-visit='{visit.id}'] a")
    page.fill("#note", "offline note")
    page.click("#add-note")
    page.wait_for_selector("#notes li.pending")
    # Months pass on the server: the phone's cursor falls behind the pruned feed.
    new = factories.VisitFactory(
        technician_id=tech_day.technician.id,
        status=models.VisitStatus.DISPATCHED,
        planned_start=tech_day.repair.planned_start,
    )
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=settings.tombstone_retention_days + 1)
    feed.prune(session, retention_days=settings.tombstone_retention_days, now=later)
    session.commit()

    pulls = []
    page.on("response", lambda r: pulls.append(r.status) if "/sync/pull" in r.url else None)
    phone.offline(False)
    phone.wait_synced()
    assert pulls[:2] == [409, 200]  # reset_required, then a fresh first sync
    page.goto(f"{phone.base_url}/tech/#/")
    page.wait_for_selector(f"#route li[data-visit='{new.id}']")
    expect(page.locator("#route li.visit")).to_have_count(4)
    session.expire_all()
    notes = session.scalars(
        select(models.VisitNote.body).where(models.VisitNote.visit_id == visit.id)
    ).all()
    assert notes == ["offline note"]
