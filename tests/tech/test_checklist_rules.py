"""The app's checklist rules (static/js/checklist.js) agree with the server's, case by case."""

from __future__ import annotations

from app import models
from app.errors import ValidationFailed
from app.services.completion import missing_requirements
from app.services.fieldwork import _check_answer_type
from tests import factories

REASONS = {
    "missing_answer": "needs an answer",
    "missing_yes_no": "needs yes or no",
    "missing_choice": "needs one of",
    "missing_photos": "needs",
    "missing_signature": "needs the customer's signature",
}


def js_missing(page, items, answers, photos, signatures):
    return page.evaluate(
        """async ([items, answers, photos, signatures]) => {
          const c = await import('/tech/static/js/checklist.js');
          return c.missingRequirements(items, {answers, photos, signatures})
            .map((m) => [m.item.key, m.reason]);
        }""",
        [items, answers, photos, signatures],
    )


CASES = [
    (models.VisitKind.REPAIR, {"fault_cause": "broken", "parts_used": "  ", "fixed": "maybe"}, 0),
    (models.VisitKind.REPAIR, {"fault_cause": "wear", "parts_used": "hinge", "fixed": "是"}, 0),
    (models.VisitKind.MEASURE, {"room_width_cm": 320, "room_depth_cm": None}, 2),
    (models.VisitKind.INSTALL, {"items_installed": "wardrobe"}, 1),
]


def test_the_app_finds_the_same_gaps_as_the_server(app_modules, session):
    with factories.one_commit():
        templates = factories.checklist_templates()
    for kind, answers, photos in CASES:
        with factories.one_commit():
            visit = factories.VisitFactory(kind=kind)
            for key, value in answers.items():
                factories.AnswerFactory(visit_id=visit.id, item_key=key, value=value)
            photo_kind = {"measure": "wall", "install": "before"}.get(kind.value, "other")
            made = [
                factories.PhotoFactory(visit_id=visit.id, kind=models.PhotoKind(photo_kind))
                for _ in range(photos)
            ]
        server = [(m.item_key, m.reason) for m in missing_requirements(session, visit)]
        items = next(t.items for t in templates if t.kind == kind)
        app = js_missing(
            app_modules,
            items,
            answers,
            [{"kind": p.kind.value, "checklist_item_key": None} for p in made],
            [],
        )
        assert [key for key, _ in app] == [key for key, _ in server], (kind, answers)
        for (_, js_reason), (_, server_reason) in zip(app, server, strict=True):
            assert server_reason.startswith(REASONS[js_reason]), (kind, answers)


ANSWERS = [
    ({"type": "text"}, "two doors"),
    ({"type": "text"}, 3),
    ({"type": "number"}, 12.5),
    ({"type": "number"}, True),
    ({"type": "number"}, "12"),
    ({"type": "boolean"}, False),
    ({"type": "boolean"}, "yes"),
    ({"type": "choice", "choices": ["a", "b"]}, "a"),
    ({"type": "choice", "choices": ["a", "b"]}, "c"),
    ({"type": "choice"}, 1),
]


def test_the_app_refuses_the_same_answers_as_the_server(app_modules):
    for item, value in ANSWERS:
        item = {"key": "k", **item}
        try:
            _check_answer_type(item, value)
            server_ok = True
        except ValidationFailed:
            server_ok = False
        app_error = app_modules.evaluate(
            """async ([item, value]) => (await import('/tech/static/js/checklist.js'))
                .answerError(item, value)""",
            [item, value],
        )
        assert (app_error is None) == server_ok, (item, value, app_error)
