"""Completion rules per visit kind, and the first-time fix a repair records."""

from __future__ import annotations

import pytest

from app import models
from app.services.completion import CompletionBlocked, complete_visit
from tests.factories import AnswerFactory, PhotoFactory


def test_completing_an_install_lacking_its_evidence_lists_what_is_missing(
    templates, on_site_visit, complete
):
    visit = on_site_visit(models.VisitKind.INSTALL)
    PhotoFactory(visit_id=visit.id, kind=models.PhotoKind.BEFORE)
    response = complete(visit)
    assert response.status_code == 409
    assert response.json["code"] == "completion_requirements_missing"
    missing = {m["item_key"]: m["reason"] for m in response.json["details"]["missing"]}
    assert missing == {
        "items_installed": "needs an answer",
        "after_photos": "needs 1 photo(s), has 0",
        "customer_signature": "needs the customer's signature",
    }


def test_a_measure_needs_a_photo_of_each_wall(templates, on_site_visit, session):
    visit = on_site_visit(models.VisitKind.MEASURE)
    for key in ("room_width_cm", "room_depth_cm", "room_height_cm"):
        AnswerFactory(visit_id=visit.id, item_key=key, value=300)
    for _ in range(3):
        PhotoFactory(visit_id=visit.id, kind=models.PhotoKind.WALL)
    with pytest.raises(CompletionBlocked) as blocked:
        complete_visit(session, visit, actor_user_id=None)
    assert blocked.value.details["missing"] == [
        {
            "item_key": "wall_photos",
            "label": "A photo of each wall",
            "reason": "needs 4 photo(s), has 3",
        }
    ]


def test_a_repair_needs_its_cause_parts_and_a_yes_or_no_on_fixed(
    templates, on_site_visit, complete
):
    visit = on_site_visit(models.VisitKind.REPAIR)
    AnswerFactory(visit_id=visit.id, item_key="fault_cause", value="gremlins")
    AnswerFactory(visit_id=visit.id, item_key="fixed", value="maybe")
    missing = {m["item_key"]: m["reason"] for m in complete(visit).json["details"]["missing"]}
    assert missing == {
        "fault_cause": "needs one of: wear, installation, manufacturing, misuse, other",
        "parts_used": "needs an answer",
        "fixed": "needs yes or no",
    }


def test_a_visit_with_everything_it_needs_is_completed(templates, on_site_visit, fulfil, complete):
    visit = on_site_visit(models.VisitKind.INSTALL)
    fulfil(visit)
    response = complete(visit)
    assert response.status_code == 200
    assert response.json["status"] == "completed"


def test_a_repair_fixed_on_its_visit_records_a_first_time_fix(
    templates, on_site_visit, fulfil, complete, session
):
    visit = on_site_visit(models.VisitKind.REPAIR)
    fulfil(visit, fixed=True)
    complete(visit)
    outcome = session.get(models.RepairOutcome, visit.id)
    assert (outcome.fixed, outcome.first_time_fix, outcome.is_follow_up) == (True, True, False)


def test_a_repair_not_fixed_records_no_first_time_fix(
    templates, on_site_visit, fulfil, complete, session
):
    visit = on_site_visit(models.VisitKind.REPAIR)
    fulfil(visit, fixed=False)
    complete(visit)
    outcome = session.get(models.RepairOutcome, visit.id)
    assert (outcome.fixed, outcome.first_time_fix) == (False, False)


def test_a_follow_up_that_fixes_the_fault_is_not_a_first_time_fix(
    templates, on_site_visit, fulfil, session
):
    original = on_site_visit(models.VisitKind.REPAIR)
    fulfil(original, fixed=False)
    complete_visit(session, original, actor_user_id=None)
    link = session.query(models.FollowUpLink).filter_by(original_visit_id=original.id).one()
    follow_up = session.get(models.Visit, link.follow_up_visit_id)
    follow_up.status = models.VisitStatus.ON_SITE
    fulfil(follow_up, fixed=True)
    complete_visit(session, follow_up, actor_user_id=None)
    outcome = session.get(models.RepairOutcome, follow_up.id)
    assert (outcome.fixed, outcome.is_follow_up, outcome.first_time_fix) == (True, True, False)
