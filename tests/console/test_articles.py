"""The console's knowledge base: list and search, the editor with its preview, publication."""

from __future__ import annotations

from app.models import Article, ArticleAudience, VisitKind
from tests.factories import AnswerFactory, ChecklistTemplateFactory, article, assigned_visit

FORM = {
    "title": "柜门关不严怎么办",
    "body": "调节**铰链**。<script>alert(1)</script>",
    "language": "zh_CN",
    "audience": "customer",
    "visit_kinds": ["repair"],
    "fault_causes": ["wear"],
    "product_lines": ["wardrobe"],
    "more_product_lines": "kitchen, study",
}


def test_preview_shows_the_sanitised_rendering_and_saves_nothing(sign_in, dispatcher, session):
    console = sign_in(dispatcher)
    page = console.post("/console/articles/new", {**FORM, "action": "preview"})
    assert page.status_code == 200
    assert "<strong>铰链</strong>" in page.text
    assert "<script>alert(1)</script>" not in page.text
    assert session.query(Article).count() == 0


def test_saving_creates_a_draft_and_opens_its_editor(sign_in, dispatcher, session):
    console = sign_in(dispatcher)
    saved = console.post("/console/articles/new", {**FORM, "action": "save"})
    assert saved.status_code == 302
    written = session.query(Article).one()
    assert written.status.value == "draft"
    assert written.product_lines == ["kitchen", "study", "wardrobe"]
    assert written.visit_kinds == ["repair"]
    assert written.audience == ArticleAudience.CUSTOMER
    editor = console.get(saved.location)
    assert "Article saved as a draft (version 1)." in editor.text


def test_an_edit_then_publication_each_bump_the_version(sign_in, dispatcher, session):
    console = sign_in(dispatcher)
    written = article(published=False)
    edited = console.post(
        f"/console/articles/{written.id}",
        {**FORM, "title": "柜门调整", "version": "1", "action": "save"},
    )
    assert edited.status_code == 302
    published = console.post(
        f"/console/articles/{written.id}/status", {"status": "published", "version": "2"}
    )
    assert published.status_code == 302
    session.expire_all()
    again = session.get(Article, written.id)
    assert (again.title, again.version, again.status.value) == ("柜门调整", 3, "published")
    page = console.get(f"/console/articles/{written.id}").text
    assert "version 3" in page
    assert 'id="unpublish"' in page


def test_a_stale_edit_is_refused_and_nothing_changes(sign_in, dispatcher, session):
    console = sign_in(dispatcher)
    written = article(published=False)
    console.post(f"/console/articles/{written.id}", {**FORM, "version": "1", "action": "save"})
    stale = console.post(
        f"/console/articles/{written.id}",
        {**FORM, "title": "旧的", "version": "1", "action": "save"},
        follow_redirects=True,
    )
    assert "version 2" in stale.text
    session.expire_all()
    assert session.get(Article, written.id).title == FORM["title"]


def test_a_blank_title_is_refused_naming_the_field(sign_in, dispatcher, session):
    console = sign_in(dispatcher)
    page = console.post("/console/articles/new", {**FORM, "title": " ", "action": "save"})
    assert page.status_code == 422
    assert "Title" in page.text
    assert session.query(Article).count() == 0


def test_the_list_searches_chinese_and_shows_the_counts(sign_in, dispatcher, client, session):
    shown = article("柜门关不严怎么办", audience=ArticleAudience.CUSTOMER)
    article("抽屉滑轨异响", "清洁滑轨。")
    client.post(f"/api/v1/kb/articles/{shown.id}/views", json={})
    client.post(f"/api/v1/kb/articles/{shown.id}/votes", json={"helped": True})
    console = sign_in(dispatcher, "zh-CN")
    page = console.get("/console/articles", query_string={"q": "柜门"}).text
    assert "柜门关不严怎么办" in page
    assert "抽屉滑轨异响" not in page
    assert '<td class="num">1</td>' in page


def test_the_visit_page_links_the_fault_cause_to_its_articles(sign_in, dispatcher, technician):
    ChecklistTemplateFactory(
        kind=VisitKind.REPAIR,
        items=[
            {
                "key": "fault_cause",
                "label": "Cause",
                "type": "choice",
                "required": True,
                "choices": ["wear", "misuse"],
            }
        ],
    )
    visit = assigned_visit(technician, kind=VisitKind.REPAIR)
    wear = article("铰链磨损更换", fault_causes=("wear",))
    article("使用不当说明", fault_causes=("misuse",))
    console = sign_in(dispatcher)
    before = console.get(f"/console/visits/{visit.id}").text
    assert "铰链磨损更换" in before
    assert "使用不当说明" in before
    AnswerFactory(visit_id=visit.id, item_key="fault_cause", value="wear")
    after = console.get(f"/console/visits/{visit.id}").text
    assert f"/console/articles/{wear.id}" in after
    assert "使用不当说明" not in after
    assert "/console/articles?fault_cause=wear" in after


def test_the_figures_list_the_most_read_articles(sign_in, dispatcher, client, session):
    read = article("柜门关不严怎么办", audience=ArticleAudience.BOTH)
    for _ in range(3):
        client.post(f"/api/v1/kb/articles/{read.id}/views", json={})
    client.post(f"/api/v1/kb/articles/{read.id}/votes", json={"helped": False})
    page = sign_in(dispatcher).get("/console/metrics").text
    assert f'id="article-figure-{read.id}"' in page
    assert "柜门关不严怎么办" in page
