"""The visit's evidence, the figures' tiles and colours, the map of a published day and the
demo's pages, in a real Chromium: in Chinese, with the dispatcher's switch to English."""

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
from tests.browser.sign_in import sign_in_console
from tests.factories import (
    PASSWORD,
    AnswerFactory,
    ComplaintFactory,
    DepotFactory,
    PhotoFactory,
    RatingFactory,
    SignatureFactory,
    SiteFactory,
    TechnicianFactory,
    VisitFactory,
    checklist_templates,
    image_bytes,
    tomorrow_at,
)


@contextmanager
def console_page(
    chromium: Any, app: Any, live_server: str, locale: str, email: str, password: str = PASSWORD
) -> Iterator[Any]:
    """A page in a fresh browser context speaking `locale`, signed in to the console."""
    context = chromium.new_context(locale=locale, **DESKTOP)
    context.set_default_timeout(20_000)
    page = context.new_page()
    try:
        yield sign_in_console(page, app, live_server, email, password)
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


def test_the_visit_page_shows_the_visits_evidence(
    chromium, app, live_server, dispatcher, evidenced_visit
):
    visit, photo_id = evidenced_visit
    with console_page(chromium, app, live_server, "zh-CN", dispatcher.email) as page:
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
        assert "已安装项目" in answers
        assert "2 wardrobe doors" in answers
        assert "Zhang Min" in page.locator("#evidence-signature").text_content()
        assert "Customer asked for a second visit" in page.locator("#evidence-notes").text_content()
        rating = page.locator("#evidence-rating").text_content()
        assert "Left a mess" in rating
        assert "评分 2/5" in rating
        complaint = page.locator("#evidence .complaint").text_content()
        assert "Unhappy with the install" in complaint
        assert "installation" in complaint
        expect(page.locator("#evidence figure.pending")).to_have_count(1)
        assert page.locator("#evidence h2").text_content() == "现场记录"
        shot(page, "console-visit-evidence-zh-CN", full_page=True)

        # The dispatcher switches to English: the same evidence under English labels.
        page.click("#language-en")
        page.wait_for_selector("html[lang=en]")
        assert "Items installed" in page.locator("#evidence-answers").text_content()
        assert "Rated 2/5" in page.locator("#evidence-rating").text_content()
        assert page.locator("#evidence h2").text_content() != "现场记录"
        shot(page, "console-visit-evidence-en-GB", full_page=True)

        # The complaint on the board leads to its page on the workbench.
        page.goto(f"{live_server}/console/board")
        complaint_id = page.locator("#complaints tr[data-complaint]").get_attribute(
            "data-complaint"
        )
        page.click(f'#complaints tr[data-complaint="{complaint_id}"] td:first-child a')
        page.wait_for_load_state()
        assert page.url.endswith(f"/console/complaints/{complaint_id}")


# --- the figures ----------------------------------------------------------------------------


def test_the_figures_show_tiles_sample_sizes_and_one_colour_per_technician(
    chromium, app, live_server, dispatcher, rated_weeks
):
    # In English: tests/browser/test_console_browser.py reads the same figures.
    with console_page(chromium, app, live_server, "zh-CN", dispatcher.email) as page:
        page.goto(f"{live_server}/console/metrics?by=technician")
        page.wait_for_selector("#headline")
        expect(page.locator("#headline .tile")).to_have_count(4)
        csat = page.locator("#tile-csat").text_content()
        assert "样本" in csat
        assert "上周" in csat
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
        assert "样本" in legend
        page.click("#chart-csat details.values summary")
        assert page.locator("#chart-csat details.values td").count() >= 2
        shot(page, "console-figures-tiles-zh-CN", full_page=True)


# --- the map of a published day -------------------------------------------------------------

DEPOTS = (
    ("Pudong depot", 31.22, 121.54),
    ("Minhang depot", 31.11, 121.38),
    ("Jiading depot", 31.38, 121.25),
)


@pytest.fixture
def published_day(session: Any) -> dt.date:
    """Tomorrow, published: six technicians of three depots, two visits each."""
    depots = [DepotFactory(name=name, lat=lat, lon=lon) for name, lat, lon in DEPOTS]
    for number in range(6):
        depot = depots[number % 3]
        technician = TechnicianFactory(
            name=f"Route {number}", depot_id=depot.id, home_lat=depot.lat, home_lon=depot.lon
        )
        for stop, hour in enumerate((9, 13)):
            VisitFactory(
                site=SiteFactory(
                    lat=depot.lat + 0.01 * (stop + 1), lon=depot.lon + 0.01 * (number + 1)
                ),
                technician_id=technician.id,
                planned_start=tomorrow_at(hour),
                status=models.VisitStatus.SCHEDULED,
                window_end=tomorrow_at(17),
            )
    return tomorrow_at(9).date()


def test_the_map_of_a_published_day_picks_one_route_out(
    chromium, app, live_server, dispatcher, published_day
):
    with console_page(chromium, app, live_server, "zh-CN", dispatcher.email) as page:
        page.goto(f"{live_server}/console/board?day={published_day}")
        routes = page.locator("#route-map .route")
        expect(routes).to_have_count(6)
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
        assert page.locator("#map-panel h2").text_content() == "地图"
        page.locator("#map-panel").screenshot(path=str(ARTIFACTS / "console-map-zh-CN.png"))
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
        shot(page, "console-board-published-zh-CN", full_page=True)
        # The dispatcher switches to English: the same map under an English heading.
        page.click("#language-en")
        page.wait_for_selector("html[lang=en]")
        assert page.locator("#map-panel h2").text_content() == "Map"
        expect(routes).to_have_count(6)
        page.locator("#map-panel").screenshot(path=str(ARTIFACTS / "console-map-en-GB.png"))


# --- the demo, as a dispatcher opens it ------------------------------------------------------


@pytest.fixture
def demo_day(session: Any) -> Any:
    """The whole demo: 40 technicians, a published day, routes under way, two weeks of ratings
    (the figures' tiles, regions and a complained visit need no more; `flask seed-demo` seeds
    eight, at some 0.3 s a week)."""
    summary = seed_demo_data(session, under_way_today=True, history_weeks=2, publish_first_day=True)
    session.commit()
    return summary


def test_the_demo_reads_as_a_service_desk_day(chromium, app, live_server, demo_day, session):
    """The demo's pages as a dispatcher opens them (screenshots for docs/console.md)."""
    complained = session.scalar(
        select(models.Complaint.visit_id).where(models.Complaint.visit_id.is_not(None)).limit(1)
    )
    with console_page(chromium, app, live_server, "en-GB", DISPATCHER[0], DISPATCHER[1]) as page:
        page.goto(f"{live_server}/console/board?day={demo_day.under_way.day}")
        expect(page.locator("#route-map .route")).to_have_count(3)
        assert page.locator("#sla-alerts").count() == 1 or demo_day.under_way.deferred
        shot(page, "docs-board-today", full_page=True)
        page.goto(f"{live_server}/console/board?day={demo_day.published_day}")
        # Forty routes on the map, one per technician, and every depot.
        assert page.locator("#route-map .route").count() >= 30
        expect(page.locator("#route-map .depot")).to_have_count(3)
        shot(page, "docs-board-published")
        # One route picked out of forty (docs/console/map.png).
        first = page.locator("#route-map .route").first.get_attribute("data-technician")
        page.select_option("#map-focus", first)
        expect(page.locator("#route-map .route.focus")).to_have_count(1)
        page.locator("#map-panel").screenshot(path=str(ARTIFACTS / "docs-map.png"))
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
        page.fill("#time-limit", "1")
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
