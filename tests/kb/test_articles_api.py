"""Staff write articles: drafts, edits that bump the version, publication, history, preview."""

from __future__ import annotations

from app.models import ArticleStatus
from tests.factories import article
from tests.statements import statements

NEW = {
    "title": "抽屉滑轨异响",
    "body": "# 处理方法\n\n1. 清洁滑轨\n2. 涂润滑油",
    "audience": "technician",
    "product_lines": ["kitchen", "wardrobe", "kitchen"],
    "visit_kinds": ["repair"],
    "fault_causes": ["wear"],
}


def _create(client, headers, **overrides):
    response = client.post("/api/v1/articles", json={**NEW, **overrides}, headers=headers)
    assert response.status_code == 201, response.json
    return response.json


def test_a_new_article_is_a_rendered_draft_at_version_1(client, as_dispatcher):
    body = _create(client, as_dispatcher)
    assert body["status"] == "draft"
    assert body["version"] == 1
    assert body["language"] == "zh_CN"
    assert body["product_lines"] == ["kitchen", "wardrobe"]
    assert "<h1>处理方法</h1>" in body["body_html"]
    assert "<li>涂润滑油</li>" in body["body_html"]
    assert body["counts"] == {"views": 0, "helped": 0, "not_helped": 0, "helped_share": None}


def test_markdown_is_sanitised_scripts_and_javascript_links_never_reach_readers(
    client, as_dispatcher
):
    body = _create(
        client,
        as_dispatcher,
        body="<script>alert(1)</script>\n\n[点我](javascript:alert(1))"
        ' <img src=x onerror="alert(1)">\n\n[手册](https://example.com/manual)',
    )
    html = body["body_html"]
    assert "<script" not in html
    assert "<img" not in html  # raw HTML is shown as text, never as a tag
    assert "&lt;img" in html
    assert 'href="javascript' not in html
    assert '<a href="https://example.com/manual" rel="noopener noreferrer nofollow">' in html


def test_an_edit_bumps_the_version_and_keeps_the_revision(client, as_dispatcher):
    created = _create(client, as_dispatcher)
    response = client.patch(
        f"/api/v1/articles/{created['id']}",
        json={"title": "抽屉滑轨异响怎么办", "version": 1},
        headers=as_dispatcher,
    )
    assert response.status_code == 200, response.json
    assert response.json["version"] == 2
    revisions = client.get(f"/api/v1/articles/{created['id']}/revisions", headers=as_dispatcher)
    assert [(r["version"], r["title"]) for r in revisions.json] == [
        (2, "抽屉滑轨异响怎么办"),
        (1, "抽屉滑轨异响"),
    ]


def test_an_edit_that_changes_nothing_keeps_the_version(client, as_dispatcher):
    created = _create(client, as_dispatcher)
    response = client.patch(
        f"/api/v1/articles/{created['id']}",
        json={"title": NEW["title"], "version": 1},
        headers=as_dispatcher,
    )
    assert response.json["version"] == 1


def test_an_edit_based_on_an_old_version_is_refused(client, as_dispatcher):
    created = _create(client, as_dispatcher)
    client.patch(
        f"/api/v1/articles/{created['id']}",
        json={"body": "新", "version": 1},
        headers=as_dispatcher,
    )
    response = client.patch(
        f"/api/v1/articles/{created['id']}",
        json={"body": "旧", "version": 1},
        headers=as_dispatcher,
    )
    assert response.status_code == 409
    assert response.json["code"] == "version_conflict"


def test_an_edit_without_a_version_is_refused(client, as_dispatcher):
    created = _create(client, as_dispatcher)
    response = client.patch(
        f"/api/v1/articles/{created['id']}", json={"body": "新"}, headers=as_dispatcher
    )
    assert response.status_code == 428


def test_publishing_and_withdrawing_are_versions_too(client, as_dispatcher):
    created = _create(client, as_dispatcher)
    published = client.post(
        f"/api/v1/articles/{created['id']}/publish", json={"version": 1}, headers=as_dispatcher
    )
    assert published.status_code == 200, published.json
    assert published.json["status"] == "published"
    assert published.json["version"] == 2
    assert published.json["published_at"] is not None
    withdrawn = client.post(
        f"/api/v1/articles/{created['id']}/unpublish", json={"version": 2}, headers=as_dispatcher
    )
    assert withdrawn.json["status"] == "draft"
    assert withdrawn.json["version"] == 3


def test_an_empty_article_cannot_be_published(client, as_dispatcher):
    created = _create(client, as_dispatcher, body="")
    response = client.post(
        f"/api/v1/articles/{created['id']}/publish", json={"version": 1}, headers=as_dispatcher
    )
    assert response.status_code == 422
    assert "body" in response.json["errors"]


def test_bad_fields_are_refused_in_the_one_error_format(client, as_dispatcher):
    response = client.post(
        "/api/v1/articles",
        json={**NEW, "audience": "everyone", "language": "fr", "fault_causes": ["Bad Cause"]},
        headers=as_dispatcher,
    )
    assert response.status_code == 422
    assert response.json["code"] == "validation_error"
    assert {"audience", "language", "fault_causes"} <= set(response.json["errors"])


def test_a_blank_title_is_refused(client, as_dispatcher):
    response = client.post("/api/v1/articles", json={**NEW, "title": "   "}, headers=as_dispatcher)
    assert response.status_code == 422
    assert "title" in response.json["errors"]


def test_preview_renders_without_saving(client, session, as_dispatcher):
    response = client.post(
        "/api/v1/articles/preview", json={"body": "**粗体** <b>raw</b>"}, headers=as_dispatcher
    )
    assert response.status_code == 200
    assert response.json["html"] == "<p><strong>粗体</strong> &lt;b&gt;raw&lt;/b&gt;</p>\n"
    assert client.get("/api/v1/articles", headers=as_dispatcher).json == []


def test_staff_list_includes_drafts_and_filters_by_status(client, session, as_dispatcher):
    article(title="已发布")
    article(title="草稿", published=False)
    every = client.get("/api/v1/articles", headers=as_dispatcher).json
    drafts = client.get("/api/v1/articles?status=draft", headers=as_dispatcher).json
    assert {h["article"]["title"] for h in every} == {"已发布", "草稿"}
    assert [h["article"]["title"] for h in drafts] == ["草稿"]
    assert drafts[0]["article"]["status"] == ArticleStatus.DRAFT.value


def test_technicians_cannot_write_articles(client, technician, login):
    headers = login(technician.user)
    assert client.post("/api/v1/articles", json=NEW, headers=headers).status_code == 403
    assert client.get("/api/v1/articles", headers=headers).status_code == 403


def test_only_admins_delete_articles(client, session, as_dispatcher, as_admin):
    written = article()
    assert client.delete(f"/api/v1/articles/{written.id}", headers=as_dispatcher).status_code == 403
    assert client.delete(f"/api/v1/articles/{written.id}", headers=as_admin).status_code == 204
    assert client.get(f"/api/v1/articles/{written.id}", headers=as_admin).status_code == 404


def test_the_list_reads_every_articles_counts_in_one_query(client, as_dispatcher):
    def listed():
        with statements() as seen:
            response = client.get("/api/v1/articles?limit=100", headers=as_dispatcher)
        assert response.status_code == 200
        feedback = [s for s in seen if "article_feedback" in s.sql]
        return response.json, feedback

    article("柜门关不严怎么办")
    few, few_feedback = listed()
    for n in range(5):
        article(f"抽屉滑轨异响 {n}")
    many, many_feedback = listed()
    assert (len(few), len(many)) == (1, 6)
    assert len(few_feedback) == len(many_feedback) == 1
    assert all(h["article"]["counts"]["views"] == 0 for h in many)
