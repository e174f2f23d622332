"""Knowledge-base articles for the demo: repair know-how for technicians, help for customers."""

# Chinese prose uses full-width punctuation on purpose.
# ruff: noqa: RUF001

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from app.models import ArticleAudience, ArticleStatus, VisitKind
from app.services import articles


@dataclass(frozen=True)
class DemoArticle:
    title: str
    body: str
    audience: ArticleAudience
    language: str = "zh_CN"
    product_lines: tuple[str, ...] = ()
    visit_kinds: tuple[VisitKind, ...] = ()
    fault_causes: tuple[str, ...] = ()


ARTICLES = (
    DemoArticle(
        "柜门关不严怎么办",
        "柜门关不严、门缝不齐，多半是铰链松了或需要调整。\n\n"
        "1. 先检查铰链螺丝有没有松动，用十字螺丝刀拧紧。\n"
        "2. 门缝上宽下窄：调节**上面铰链**的侧向螺丝。\n"
        "3. 门板前后不平：调节铰链的**深度螺丝**。\n\n"
        "调整后仍关不严，请提交报修，师傅会上门处理。",
        ArticleAudience.CUSTOMER,
        product_lines=("wardrobe", "kitchen", "bedroom"),
    ),
    DemoArticle(
        "抽屉拉动有异响",
        "抽屉滑轨有灰尘或缺油时会发出声音。\n\n"
        "- 取出抽屉，用干布擦净滑轨\n- 在滑轨上涂少量润滑油\n- 装回后来回拉动几次",
        ArticleAudience.BOTH,
        product_lines=("kitchen", "wardrobe", "study"),
        visit_kinds=(VisitKind.REPAIR,),
        fault_causes=("wear",),
    ),
    DemoArticle(
        "铰链磨损的更换步骤",
        "## 准备\n\n带上同型号的缓冲铰链（35 mm 杯）和十字螺丝刀。\n\n"
        "## 步骤\n\n1. 拍下更换前的照片\n2. 卸下门板，拆旧铰链\n"
        "3. 装新铰链，先固定门板侧再固定柜体侧\n4. 调节三向螺丝直到门缝均匀\n\n"
        "在检查单里把故障原因记为“正常磨损”，用掉的铰链写进“使用的配件”。",
        ArticleAudience.TECHNICIAN,
        visit_kinds=(VisitKind.REPAIR,),
        fault_causes=("wear",),
    ),
    DemoArticle(
        "安装后柜体不平的排查",
        "柜体不平通常是地面不平或调节脚没调好。\n\n"
        "| 现象 | 处理 |\n|---|---|\n| 柜门自己打开 | 调高前面的调节脚 |\n"
        "| 柜体晃动 | 检查靠墙固定件 |",
        ArticleAudience.TECHNICIAN,
        visit_kinds=(VisitKind.REPAIR, VisitKind.INSTALL),
        fault_causes=("installation",),
    ),
    DemoArticle(
        "Measuring a room: what to bring",
        "Bring a laser meter, a 5 m tape and the phone with the app synced.\n\n"
        "Measure **every wall** at two heights and photograph each wall.",
        ArticleAudience.TECHNICIAN,
        language="en",
        visit_kinds=(VisitKind.MEASURE,),
    ),
)


def seed_articles(session: Session, *, author_user_id: int | None) -> int:
    """Write and publish the demo articles; returns how many."""
    for demo in ARTICLES:
        draft = articles.ArticleDraft(
            title=demo.title,
            body=demo.body,
            language=demo.language,
            audience=demo.audience,
            product_lines=demo.product_lines,
            visit_kinds=demo.visit_kinds,
            fault_causes=demo.fault_causes,
        )
        written = articles.create_article(session, draft, user_id=author_user_id)
        articles.set_status(
            session,
            written,
            ArticleStatus.PUBLISHED,
            expected_version=written.version,
            user_id=author_user_id,
        )
    return len(ARTICLES)
