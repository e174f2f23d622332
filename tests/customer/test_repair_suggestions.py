"""Before a repair request is sent, matching help articles are offered: "does this solve it?"."""

from __future__ import annotations

from sqlalchemy import select

from app import models
from app.database import db
from tests import factories
from tests.customer.test_repair_requests import _describe, _details, _draft


def _answer(client, html, solved):
    return client.post(
        "/request?lang=en", data={"step": "suggest", "draft": _draft(html), "solved": solved}
    )


def _feedback():
    rows = db.session.execute(
        select(
            models.ArticleFeedback.article_id,
            models.ArticleFeedback.reaction,
            models.ArticleFeedback.context,
        ).order_by(models.ArticleFeedback.id)
    ).all()
    db.session.commit()
    return [(a, str(r), c) for a, r, c in rows]


def _hinge_article(**overrides):
    fields = {"audience": models.ArticleAudience.CUSTOMER, **overrides}
    return factories.article("柜门合页松了怎么办", "用螺丝刀拧紧**合页螺丝**。", **fields)


def test_matching_customer_articles_are_offered_before_the_details(client, order):
    offered = _hinge_article()
    factories.article("柜门合页 技师版", audience=models.ArticleAudience.TECHNICIAN)
    step = _describe(client)
    assert step.status_code == 200
    assert "Does one of these solve it?" in step.text
    assert f'id="suggestion-{offered.id}"' in step.text
    assert "<strong>合页螺丝</strong>" in step.text
    assert "技师版" not in step.text
    assert 'name="window"' not in step.text
    assert _feedback() == [(offered.id, "view", "repair_request")]


def test_yes_ends_the_flow_without_a_visit_and_counts_a_helped_vote(client, order):
    offered = _hinge_article()
    answer = _answer(client, _describe(client).text, str(offered.id))
    assert answer.status_code == 200
    assert 'id="request-solved"' in answer.text
    assert "Glad it is solved" in answer.text
    assert db.session.scalar(select(models.RepairRequest)) is None
    assert _feedback()[-1] == (offered.id, "helped", "repair_request")


def test_no_goes_on_to_the_request_and_counts_a_not_helped_vote(client, order):
    offered = _hinge_article()
    details = _answer(client, _describe(client).text, "none")
    assert details.status_code == 200
    assert 'name="window"' in details.text
    assert _feedback()[-1] == (offered.id, "not_helped", "repair_request")
    done = _details(client, details.text, order.id, [])
    assert done.status_code == 201
    assert db.session.scalar(select(models.RepairRequest)) is not None


def test_without_a_matching_article_the_details_come_straight_away(client, order):
    factories.article("洗衣机不排水", audience=models.ArticleAudience.CUSTOMER)
    step = _describe(client)
    assert 'name="window"' in step.text
    assert _feedback() == []


def test_articles_for_products_the_customer_does_not_own_are_not_offered(client, order):
    _hinge_article(product_lines=("bathroom",))
    step = _describe(client)
    assert 'name="window"' in step.text


def test_an_answer_naming_an_article_not_offered_is_refused(client, order):
    offered = _hinge_article()
    other = factories.article("别的文章", audience=models.ArticleAudience.CUSTOMER)
    refused = _answer(client, _describe(client).text, str(other.id))
    assert refused.status_code == 422
    assert f'id="suggestion-{offered.id}"' in refused.text
    assert [row[1] for row in _feedback()] == ["view"]


def test_a_forged_draft_starts_again(client, order):
    _hinge_article()
    html = _describe(client).text.replace('name="draft" value="', 'name="draft" value="x')
    assert _answer(client, html, "none").status_code == 422
