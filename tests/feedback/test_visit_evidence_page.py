"""The console's visit page shows what the visit left behind, and complaints lead to it."""

from __future__ import annotations

import hashlib
import re
import uuid

import pytest
from sqlalchemy import select

from app import models
from app.services.ratings import Verdict, submit
from tests import factories
from tests.factories import PhotoFactory, image_bytes

CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def console(app, session, dispatcher):
    """A client signed in to the console as the dispatcher, reading English."""

    def sign_in(language: str = "en"):
        client = app.test_client()
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
        token = CSRF_FIELD.search(client.get("/console/login").text).group(1)
        signed = client.post(
            "/console/login",
            data={"email": dispatcher.email, "password": factories.PASSWORD, "csrf_token": token},
        )
        assert signed.status_code == 302
        return client

    return sign_in


@pytest.fixture
def rated_install(
    templates, on_site_visit, fulfil, complete, upload, rating_token, session, settings, technician
):
    """An install with an uploaded after-photo, a note, answers, a signature, rated 2/5."""
    install = on_site_visit(models.VisitKind.INSTALL)
    fulfil(install)
    data = image_bytes(color=(0, 90, 200))
    upload(data)
    photo = PhotoFactory(
        visit_id=install.id,
        kind=models.PhotoKind.AFTER,
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by_user_id=technician.user_id,
        caption="Doors aligned",
    )
    session.add(
        models.VisitNote(id=str(uuid.uuid4()), visit_id=install.id, body="Customer was home")
    )
    session.commit()
    assert complete(install).status_code == 200
    submit(session, settings, rating_token(install), Verdict(2, 5, "Left a mess"))
    session.commit()
    return install, photo, data


def test_the_visit_page_shows_photos_answers_signature_notes_rating_and_complaint(
    console, rated_install, session
):
    install, photo, _ = rated_install
    page = console().get(f"/console/visits/{install.id}").text
    evidence = page[page.index('id="evidence"') :]
    assert f'href="/console/photos/{photo.id}"' in evidence
    assert f'src="/console/photos/{photo.id}/thumbnail"' in evidence
    assert "Doors aligned" in evidence
    assert "Items installed" in evidence
    assert "2 doors" in evidence
    assert "Signed by Wang Fang" in evidence
    assert "Customer was home" in evidence
    assert "Rated 2/5" in evidence
    assert "Left a mess" in evidence
    complaint = session.scalar(
        select(models.Complaint).where(models.Complaint.visit_id == install.id)
    )
    assert f'id="complaint-{complaint.id}"' in evidence


def test_the_answers_read_under_their_checklist_labels_in_chinese(console, rated_install):
    install, _, _ = rated_install
    page = console("zh-CN").get(f"/console/visits/{install.id}").text
    evidence = page[page.index('id="evidence"') :]
    assert "Items installed" not in evidence
    assert "客户签名" in evidence or "签名" in evidence
    assert re.search(r'data-key="items_installed">[^<]*[\u4e00-\u9fff]', evidence)


def test_a_thumbnail_links_to_the_photo_at_full_size(console, rated_install):
    _, photo, data = rated_install
    client = console()
    full = client.get(f"/console/photos/{photo.id}")
    assert full.status_code == 200
    assert full.data == data
    assert full.mimetype == "image/jpeg"
    assert client.get(f"/console/photos/{photo.id}/thumbnail").status_code == 200


def test_photo_bytes_someone_else_uploaded_are_not_shown(console, rated_install, session):
    _, photo, _ = rated_install
    # Another visit's photo naming those bytes, attached by someone who never uploaded them.
    elsewhere = factories.VisitFactory()
    other = PhotoFactory(visit_id=elsewhere.id, sha256=photo.sha256, uploaded_by_user_id=None)
    session.commit()
    client = console()
    assert client.get(f"/console/photos/{other.id}").status_code == 404
    page = client.get(f"/console/visits/{elsewhere.id}").text
    assert f'href="/console/photos/{other.id}"' not in page
    assert "photo (not uploaded yet)" in page


def test_a_pending_photo_is_said_to_be_on_its_way(console, rated_install):
    install, _, _ = rated_install
    page = console().get(f"/console/visits/{install.id}").text
    # The before-photo the checklist asked for has no bytes yet.
    assert "photo (not uploaded yet)" in page


def test_complaints_link_to_their_page_on_the_workbench(console, rated_install, session):
    install, _, _ = rated_install
    complaint = session.scalar(
        select(models.Complaint).where(models.Complaint.visit_id == install.id)
    )
    target = f'href="/console/complaints/{complaint.id}"'
    client = console()
    assert target in client.get(f"/console/customers/{install.customer_id}").text
    assert target in client.get("/console/board").text


def test_a_complaint_without_a_visit_links_to_its_page_too(console, session):
    customer = factories.CustomerFactory()
    complaint = factories.ComplaintFactory(customer_id=customer.id, summary="Rude on the phone")
    session.commit()
    client = console()
    target = f'href="/console/complaints/{complaint.id}"'
    assert target in client.get("/console/board").text
    record = client.get(f"/console/customers/{customer.id}").text
    assert f'id="complaint-{complaint.id}"' in record
