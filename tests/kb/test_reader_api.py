"""Readers: customers without an account, technicians with their token; views and votes count."""

from __future__ import annotations

from app.models import ArticleAudience
from tests.factories import article


def test_a_customer_searches_customer_articles_in_chinese_without_an_account(zh_client, session):
    article("柜门关不严怎么办", audience=ArticleAudience.CUSTOMER)
    article("柜门铰链更换 技师", audience=ArticleAudience.TECHNICIAN)
    response = zh_client.get("/api/v1/kb/articles", query_string={"q": "柜门"})
    assert response.status_code == 200, response.json
    assert [h["article"]["title"] for h in response.json] == ["柜门关不严怎么办"]
    assert "body" not in response.json[0]["article"]  # readers get the rendered HTML only
    assert "<strong>铰链</strong>" in response.json[0]["article"]["body_html"]


def test_a_technician_searches_technician_articles(client, technician, login):
    article("柜门关不严怎么办", audience=ArticleAudience.CUSTOMER)
    article("柜门铰链更换", audience=ArticleAudience.TECHNICIAN)
    response = client.get("/api/v1/kb/articles?q=柜门", headers=login(technician.user))
    assert [h["article"]["title"] for h in response.json] == ["柜门铰链更换"]


def test_drafts_and_other_audiences_are_not_found(client, session):
    draft = article(audience=ArticleAudience.CUSTOMER, published=False)
    internal = article(audience=ArticleAudience.TECHNICIAN)
    for hidden in (draft, internal):
        response = client.get(f"/api/v1/kb/articles/{hidden.id}")
        assert response.status_code == 404
        assert response.json["code"] == "not_found"
        assert (
            client.post(f"/api/v1/kb/articles/{hidden.id}/votes", json={"helped": True}).status_code
            == 404
        )


def test_views_and_votes_are_counted_for_the_console(client, session, as_dispatcher):
    shared = article(audience=ArticleAudience.BOTH)
    assert client.post(f"/api/v1/kb/articles/{shared.id}/views", json={}).status_code == 201
    client.post(f"/api/v1/kb/articles/{shared.id}/views", json={"context": "repair_request"})
    client.post(f"/api/v1/kb/articles/{shared.id}/votes", json={"helped": True})
    answer = client.post(f"/api/v1/kb/articles/{shared.id}/votes", json={"helped": False})
    assert answer.status_code == 201
    assert answer.json["counts"] == {"views": 2, "helped": 1, "not_helped": 1}
    staff_view = client.get(f"/api/v1/articles/{shared.id}", headers=as_dispatcher).json
    assert staff_view["counts"]["helped_share"] == 0.5


def test_a_technicians_new_vote_replaces_the_last(client, technician, login):
    written = article()
    headers = login(technician.user)
    client.post(f"/api/v1/kb/articles/{written.id}/votes", json={"helped": False}, headers=headers)
    answer = client.post(
        f"/api/v1/kb/articles/{written.id}/votes", json={"helped": True}, headers=headers
    )
    assert answer.json["counts"] == {"views": 0, "helped": 1, "not_helped": 0}


def test_a_vote_needs_a_yes_or_no(client, session):
    written = article(audience=ArticleAudience.CUSTOMER)
    response = client.post(f"/api/v1/kb/articles/{written.id}/votes", json={"helped": "maybe"})
    assert response.status_code == 422
    assert "helped" in response.json["errors"]


def test_a_bad_token_is_refused_not_treated_as_a_customer(client, session):
    response = client.get("/api/v1/kb/articles", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401


def test_customers_are_throttled_per_address(app, client, session, settings, monkeypatch):
    written = article(audience=ArticleAudience.CUSTOMER)
    monkeypatch.setitem(app.extensions, "settings", settings.replace(kb_rate_limit="3 per minute"))
    codes = [
        client.post(f"/api/v1/kb/articles/{written.id}/views", json={}).status_code
        for _ in range(4)
    ]
    assert codes == [201, 201, 201, 429]
    refused = client.get("/api/v1/kb/articles")
    assert refused.json["code"] == "rate_limited"
    assert int(refused.headers["Retry-After"]) >= 1
