"""Knowledge-base articles on the visit screen: synced, fitting the visit, rendered read-only."""

from __future__ import annotations

from playwright.sync_api import expect

from app import models
from app.services.article_matching import VisitFacts, fits
from tests import factories


def test_the_repair_visit_shows_its_articles_and_not_the_others(tech_phone, tech_day, session):
    fitting = factories.article(
        "铰链磨损怎么换", "先拆下**旧铰链**。", fault_causes=("wear",), product_lines=("衣柜",)
    )
    factories.article("橱柜台面保养", product_lines=("橱柜",))
    factories.article("给客户的说明", audience=models.ArticleAudience.CUSTOMER)
    tech_phone.sign_in(tech_day.technician.user)
    page = tech_phone.page
    page.click(f"#route li.visit[data-visit='{tech_day.repair.id}'] a")
    page.wait_for_selector("#articles")
    assert page.locator("#articles h2").inner_text() == "知识库"
    expect(page.locator("#articles summary")).to_have_text(["铰链磨损怎么换"])
    page.click(f"details[data-article='{fitting.id}'] summary")
    assert page.locator(f"details[data-article='{fitting.id}'] strong").inner_text() == "旧铰链"
    tech_phone.shoot("tech-visit-articles-zh")


CASES = [
    # (article tags, visit kind, product line, recorded fault cause)
    ({}, "measure", None, None),
    ({"visit_kinds": ["install"]}, "measure", "kitchen", None),
    ({"product_lines": ["kitchen"]}, "repair", "kitchen", None),
    ({"product_lines": ["kitchen"]}, "repair", "wardrobe", None),
    ({"product_lines": ["kitchen"]}, "repair", None, None),
    ({"fault_causes": ["wear"]}, "repair", None, None),
    ({"fault_causes": ["wear"]}, "repair", None, "wear"),
    ({"fault_causes": ["wear"]}, "repair", None, "misuse"),
    ({"fault_causes": ["wear"]}, "install", None, None),
]


def test_the_app_picks_the_same_articles_as_the_server(app_modules):
    for tags, kind, line, cause in CASES:
        article = {"id": 1, "title": "a", "visit_kinds": [], "product_lines": [],
                   "fault_causes": [], **tags}
        shown = app_modules.evaluate(
            """async ([article, kind, line, cause]) => {
              const m = await import('/tech/static/js/model.js');
              const order = line ? {product_line: line} : null;
              return m.articlesFor([article], {kind}, order, cause).length === 1;
            }""",
            [article, kind, line, cause],
        )
        server = fits(_Tags(article), VisitFacts(models.VisitKind(kind), line, cause))
        assert shown == server, (tags, kind, line, cause)


class _Tags:
    """An article's tags as the server's matching reads them."""

    def __init__(self, article: dict) -> None:
        self.visit_kinds = article["visit_kinds"]
        self.product_lines = article["product_lines"]
        self.fault_causes = article["fault_causes"]
