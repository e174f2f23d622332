"""Published technician articles that fit the technician's visits sync to phones as `article`."""

from __future__ import annotations

from app.models import ArticleAudience, ArticleStatus, VisitKind
from app.services import articles
from tests.factories import AnswerFactory, OrderFactory, article, assigned_visit


def _edit(session, written, **changes):
    articles.update_article(
        session,
        written,
        articles.ArticleChanges(**changes),
        expected_version=written.version,
        user_id=None,
    )
    session.commit()


def test_a_published_article_for_the_visits_kind_reaches_the_phone(session, phone, technician):
    assigned_visit(technician, kind=VisitKind.MEASURE)
    fits = article("量尺注意事项", visit_kinds=(VisitKind.MEASURE,))
    other_kind = article("安装步骤", visit_kinds=(VisitKind.INSTALL,))
    for_customers = article("客户保养", audience=ArticleAudience.CUSTOMER)
    draft = article("草稿", published=False)
    device = phone(technician.user)
    device.sync()
    held = device.store.record("article", fits.id)
    assert held["title"] == "量尺注意事项"
    assert held["status"] == "published"
    assert "<strong>铰链</strong>" in held["body_html"]
    assert "search_text" not in held
    for absent in (other_kind, for_customers, draft):
        assert device.store.record("article", absent.id) is None


def test_articles_follow_the_product_line_of_the_visits_order(session, phone, technician):
    visit = assigned_visit(technician)
    visit.order = OrderFactory(product_line="kitchen", customer=visit.customer)
    session.commit()
    fits = article("橱柜台面", product_lines=("kitchen",))
    other = article("衣柜门", product_lines=("wardrobe",))
    device = phone(technician.user)
    device.sync()
    assert device.store.record("article", fits.id) is not None
    assert device.store.record("article", other.id) is None


def test_fault_cause_articles_go_to_repair_visits_until_the_cause_is_known(
    session, phone, technician
):
    visit = assigned_visit(technician, kind=VisitKind.REPAIR)
    wear = article("磨损处理", fault_causes=("wear",))
    misuse = article("使用不当", fault_causes=("misuse",))
    device = phone(technician.user)
    device.sync()
    assert device.store.record("article", wear.id) is not None
    assert device.store.record("article", misuse.id) is not None

    AnswerFactory(visit_id=visit.id, item_key="fault_cause", value="wear")
    report = device.sync()
    assert device.store.record("article", wear.id) is not None
    assert device.store.record("article", misuse.id) is None
    assert report.removes >= 1


def test_an_edit_reaches_the_phone_as_a_new_version(session, phone, technician):
    assigned_visit(technician)
    written = article("柜门调整")
    device = phone(technician.user)
    device.sync()
    _edit(session, written, body="新的步骤 **先断电**。")
    device.sync()
    held = device.store.record("article", written.id)
    assert held["version"] == written.version
    assert "<strong>先断电</strong>" in held["body_html"]


def test_withdrawing_removes_and_deleting_deletes(session, phone, technician):
    assigned_visit(technician)
    withdrawn, deleted = article("撤回"), article("删除")
    device = phone(technician.user)
    device.sync()
    articles.set_status(
        session, withdrawn, ArticleStatus.DRAFT, expected_version=withdrawn.version, user_id=None
    )
    session.delete(deleted)
    session.commit()
    report = device.sync()
    assert device.store.record("article", withdrawn.id) is None
    assert device.store.record("article", deleted.id) is None
    assert report.removes >= 1
    assert report.deletes >= 1


def test_publishing_later_brings_the_article_on_the_next_sync(session, phone, technician):
    assigned_visit(technician)
    written = article("新文章", published=False)
    device = phone(technician.user)
    device.sync()
    assert device.store.record("article", written.id) is None
    articles.set_status(
        session, written, ArticleStatus.PUBLISHED, expected_version=written.version, user_id=None
    )
    session.commit()
    device.sync()
    assert device.store.record("article", written.id)["title"] == "新文章"


def test_a_technician_without_visits_in_scope_holds_no_articles(session, phone, technician):
    written = article()
    device = phone(technician.user)
    device.sync()
    assert device.store.record("article", written.id) is None


def test_the_phone_lists_its_articles_for_a_fault_cause(session, phone, technician):
    assigned_visit(technician, kind=VisitKind.REPAIR)
    article("磨损处理", fault_causes=("wear",))
    article("通用说明")
    device = phone(technician.user)
    device.sync()
    assert [a["title"] for a in device.store.articles()] == ["磨损处理", "通用说明"]
    assert [a["title"] for a in device.store.articles(fault_cause="wear")] == ["磨损处理"]
