"""The visit's evidence, the figures' tiles and colours, and the map of a 40-route day, in a real
Chromium, in Chinese and in English."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app import models
from app.demo import DISPATCHER, seed_demo_data
from app.services import photos as photo_service
from tests.browser.conftest import ARTIFACTS, DESKTOP
from tests.factories import (
    PASSWORD,
    AnswerFactory,
    ComplaintFactory,
    PhotoFactory,
    RatingFactory,
    SignatureFactory,
    TechnicianFactory,
    VisitFactory,
    checklist_templates,
    image_bytes,
)

LOCALES = ("zh-CN", "en-GB")


@contextmanager
def console_page(
    chromium: Any, live_server: str, locale: str, email: str, password: str = PASSWORD
) -> Iterator[Any]:
    """A signed-in console page in a fresh browser context speaking `locale`."""
    context = chromium.new_context(locale=locale, **DESKTOP)
    context.set_default_timeout(20_000)
    page = context.new_page()
    try:
        page.goto(f"{live_server}/console/login")
        page.fill("#email", email)
        page.fill("#password", password)
        page.click("#sign-in")
        page.wait_for_selector("#board")
        yield page
    finally:
        context.close()


def shot(page: Any, name: str, **kwargs: Any) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), **kwargs)


# --- the visit page's evidence --------------------------------------------------------------


@pytest.fixture
def evidenced_visit(session: Any, settings: Any, tmp_path: Any) -> tuple[models.Visit, str]:
    """A completed install with a stored after-photo, answers, signature, note, rating 2/5 and
    the complaint it raised."""
    checklist_templates()
    technician = TechnicianFactory(name="Wang Wei")
    visit = VisitFactory(
        kind=models.VisitKind.INSTALL,
        technician_id=technician.id,
        status=models.VisitStatus.COMPLETED,
        status_changed_at=dt.datetime.now(dt.UTC),
    )
    data = image_bytes(size=(640, 480), color=(30, 110, 200))
    path = tmp_path / "after.jpg"
    path.write_bytes(data)
    sha256 = hashlib.sha256(data).hexdigest()
    facts = photo_service.inspect_image(path, settings)
    photo_service.store_blob(session, settings, sha256, path, facts, user_id=technician.user_id)
    photo = PhotoFactory(
        visit_id=visit.id,
        kind=models.PhotoKind.AFTER,
        sha256=sha256,
        uploaded_by_user_id=technician.user_id,
        caption="Doors aligned",
    )
    PhotoFactory(visit_id=visit.id, kind=models.PhotoKind.BEFORE)  # bytes still on the phone
    AnswerFactory(visit_id=visit.id, item_key="items_installed", value="2 wardrobe doors")
    SignatureFactory(visit_id=visit.id, signer_name="Zhang Min")
    session.add(
        models.VisitNote(
            id=str(uuid.uuid4()), visit_id=visit.id, body="Customer asked for a second visit"
        )
    )
    rating = RatingFactory(
        visit_id=visit.id, customer_id=visit.customer_id, csat=2, nps=4, comment="Left a mess"
    )
    session.flush()
    ComplaintFactory(
        customer_id=visit.customer_id,
        visit_id=visit.id,
        rating_id=rating.id,
        summary="Unhappy with the install",
        cause_category="installation",
    )
    session.commit()
    return visit, photo.id


@pytest.mark.parametrize("locale", LOCALES)
def test_the_visit_page_shows_the_visits_evidence(
    chromium, live_server, dispatcher, evidenced_visit, locale
):
    visit, photo_id = evidenced_visit
    chinese = locale == "zh-CN"
    with console_page(chromium, live_server, locale, dispatcher.email) as page:
        page.goto(f"{live_server}/console/visits/{visit.id}")
        evidence = page.locator("#evidence")
        thumbnail = evidence.locator(f'a.photo-link[href="/console/photos/{photo_id}"] img')
        thumbnail.wait_for()
        # The thumbnail really loaded (a broken image has no natural width).
        # The thumbnail loads lazily: bring it into view, then wait for it to load or fail.
        thumbnail.scroll_into_view_if_needed()
        assert thumbnail.evaluate(
            "img => img.complete ? img.naturalWidth > 0 : new Promise(done => {"
            " img.onload = () => done(img.naturalWidth > 0); img.onerror = () => done(false); })"
        )
        full = page.request.get(f"{live_server}/console/photos/{photo_id}")
        assert full.status == 200
        assert full.headers["content-type"] == "image/jpeg"
        answers = page.locator("#evidence-answers").text_content()
        assert ("已安装项目" if chinese else "Items installed") in answers
        assert "2 wardrobe doors" in answers
        assert "Zhang Min" in page.locator("#evidence-signature").text_content()
        assert "Customer asked for a second visit" in page.locator("#evidence-notes").text_content()
        rating = page.locator("#evidence-rating").text_content()
        assert "Left a mess" in rating
        assert ("评分 2/5" if chinese else "Rated 2/5") in rating
        complaint = page.locator("#evidence .complaint").text_content()
        assert "Unhappy with the install" in complaint
        assert "installation" in complaint
        expect(page.locator("#evidence figure.pending")).to_have_count(1)
        assert (page.locator("#evidence h2").text_content() == "现场记录") is chinese
        shot(page, f"console-visit-evidence-{locale}", full_page=True)

        # The complaint on the board leads to its page on the workbench.
        page.goto(f"{live_server}/console/board")
        complaint_id = page.locator("#complaints tr[data-complaint]").get_attribute(
            "data-complaint"
        )
        page.click(f'#complaints tr[data-complaint="{complaint_id}"] td:first-child a')
        page.wait_for_load_state()
        assert page.url.endswith(f"/console/complaints/{complaint_id}")


# --- the figures ----------------------------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
def test_the_figures_show_tiles_sample_sizes_and_one_colour_per_technician(
    chromium, live_server, dispatcher, rated_weeks, locale
):
    chinese = locale == "zh-CN"
    with console_page(chromium, live_server, locale, dispatcher.email) as page:
        page.goto(f"{live_server}/console/metrics?by=technician")
        page.wait_for_selector("#headline")
        expect(page.locator("#headline .tile")).to_have_count(4)
        csat = page.locator("#tile-csat").text_content()
        assert ("样本" if chinese else "n=") in csat
        assert ("上周" if chinese else "Last week") in csat
        # Each technician keeps one colour in every chart that draws them.
        colours = page.evaluate(
            """() => {
              const seen = {};
              document.querySelectorAll('.chart .legend .item').forEach(item => {
                const colour = item.querySelector('.swatch').style.background;
                (seen[item.dataset.slice] = seen[item.dataset.slice] || []).push(colour);
              });
              return seen;
            }"""
        )
        assert set(colours) == {"Wang Wei", "Li Na"}
        for name, seen in colours.items():
            assert len(set(seen)) == 1, (name, seen)
            assert len(seen) >= 3
        assert colours["Wang Wei"][0] != colours["Li Na"][0]
        legend = page.locator("#chart-csat .legend").text_content()
        assert ("样本" if chinese else "n=") in legend
        page.click("#chart-csat details.values summary")
        assert page.locator("#chart-csat details.values td").count() >= 2
        shot(page, f"console-figures-tiles-{locale}", full_page=True)


# --- the demo day: 40 routes on the map -----------------------------------------------------


@pytest.fixture
def demo_day(session: Any) -> Any:
    """The whole demo: 40 technicians, a published day, routes under way, eight weeks of ratings."""
    summary = seed_demo_data(session, under_way_today=True, history_weeks=8, publish_first_day=True)
    session.commit()
    return summary


def test_the_map_of_a_forty_route_day_picks_one_route_out(
    chromium, live_server, demo_day, session
):
    day = demo_day.published_day
    for locale in LOCALES:
        chinese = locale == "zh-CN"
        with console_page(chromium, live_server, locale, DISPATCHER[0], DISPATCHER[1]) as page:
            page.goto(f"{live_server}/console/board?day={day}")
            routes = page.locator("#route-map .route")
            assert routes.count() >= 30
            expect(page.locator("#route-map .depot")).to_have_count(3)
            # The route's colour is its technician's timeline colour.
            technician = routes.first.get_attribute("data-technician")
            row_colour = page.locator(
                f'.timeline.editable .tl-row[data-technician="{technician}"] .swatch'
            ).evaluate("el => getComputedStyle(el).backgroundColor")
            line_colour = routes.first.locator("polyline").evaluate(
                "el => getComputedStyle(el).stroke"
            )
            assert row_colour == line_colour
            # Choosing a technician fades every other route.
            page.select_option("#map-focus", technician)
            expect(page.locator("#route-map.focused")).to_have_count(1)
            focused = page.locator("#route-map .route.focus")
            assert focused.count() == 1
            assert focused.get_attribute("data-technician") == technician
            faded = page.locator(
                f'#route-map .route:not([data-technician="{technician}"])'
            ).first.evaluate("el => getComputedStyle(el).opacity")
            assert float(faded) < 0.5
            expect(page.locator(f'.tl-row.focus[data-technician="{technician}"]')).to_have_count(1)
            assert (page.locator("#map-panel h2").text_content() == "地图") is chinese
            page.locator("#map-panel").screenshot(path=str(ARTIFACTS / f"console-map-{locale}.png"))
            # Back to all routes; hovering one picks it out for as long as the pointer stays.
            page.select_option("#map-focus", "")
            expect(page.locator("#route-map.focused")).to_have_count(0)
            other = routes.nth(5)
            other_id = other.get_attribute("data-technician")
            other.dispatch_event("mouseenter")
            focus = page.locator("#route-map .route.focus")
            assert focus.get_attribute("data-technician") == other_id
            other.dispatch_event("mouseleave")
            expect(page.locator("#route-map.focused")).to_have_count(0)
            shot(page, f"console-board-published-{locale}", full_page=True)
    names = list(session.scalars(select(models.Technician.name)))
    assert len(set(names)) == 40
    _the_demo_reads_as_a_service_desk_day(chromium, live_server, demo_day, session)


def _the_demo_reads_as_a_service_desk_day(
    chromium: Any, live_server: str, demo_day: Any, session: Any
) -> None:
    """The demo's pages as a dispatcher opens them (screenshots for docs/console.md)."""
    complained = session.scalar(
        select(models.Complaint.visit_id).where(models.Complaint.visit_id.is_not(None)).limit(1)
    )
    with console_page(chromium, live_server, "en-GB", DISPATCHER[0], DISPATCHER[1]) as page:
        page.goto(f"{live_server}/console/board?day={demo_day.under_way.day}")
        expect(page.locator("#route-map .route")).to_have_count(3)
        assert page.locator("#sla-alerts").count() == 1 or demo_day.under_way.deferred
        shot(page, "docs-board-today", full_page=True)
        page.goto(f"{live_server}/console/board?day={demo_day.published_day}")
        shot(page, "docs-board-published")
        page.goto(f"{live_server}/console/metrics")
        expect(page.locator("#headline .tile")).to_have_count(4)
        shot(page, "docs-figures", full_page=True)
        page.goto(f"{live_server}/console/metrics?by=region")
        regions = page.locator("#chart-csat .legend .item").count()
        assert regions == 3
        shot(page, "docs-figures-region", full_page=True)
        page.goto(f"{live_server}/console/visits/{complained}")
        expect(page.locator("#evidence-rating")).to_have_count(1)
        expect(page.locator("#evidence .complaint")).to_have_count(1)
        shot(page, "docs-visit", full_page=True)
        page.click("#customer-link")
        page.wait_for_selector("#customer-name")
        shot(page, "docs-customer", full_page=True)
        # The working day after the published one, planned by the optimizer.
        next_day = demo_day.first_day + dt.timedelta(days=1)
        while next_day.weekday() >= 5:
            next_day += dt.timedelta(days=1)
        page.goto(f"{live_server}/console/board?day={next_day}")
        page.fill("#time-limit", "4")
        page.click("#run-optimizer")
        page.wait_for_selector("#progress-fill")
        shot(page, "docs-run-progress")
        page.wait_for_selector("#publish", timeout=120_000)
        shot(page, "docs-proposal")
        page.locator(".side-by-side").screenshot(
            path=str(ARTIFACTS / "docs-proposal-timelines.png")
        )
        page.context.clear_cookies()
        page.goto(f"{live_server}/console/login")
        shot(page, "docs-login")
