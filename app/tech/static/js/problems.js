// Mutations the server did not simply apply, explained in plain words.
import { t } from "./i18n.js";
import * as store from "./store.js";
import { esc } from "./dom.js";

function actionLabel(result, labels) {
  const item = result.args.item_key;
  return t(`act_${result.name.replace(".", "_")}`, { item: labels.get(item) || item || "" });
}

function reasonOf(result) {
  const known = `code_${result.code}`;
  if (result.code === "completion_requirements_missing") {
    const missing = (result.details?.missing || []).map((m) => m.label).join("、");
    return t(known, { missing });
  }
  const text = t(known);
  return text === known ? t("code_other", { message: result.message || result.code }) : text;
}

export function explain(result, labels = new Map()) {
  if (result.outcome === "accepted_for_review") {
    return { kind: "review", text: t("sent_for_review_text", { visit: result.args.visit_id }) };
  }
  return {
    kind: "rejected",
    text: t("rejected_text", {
      visit: result.args.visit_id,
      action: actionLabel(result, labels),
      reason: reasonOf(result),
    }),
  };
}

export async function open() {
  return (await store.results()).filter((r) => r.outcome !== "applied" && !r.seen);
}

// Checklist item labels by key, to name the item an answer was about.
export async function itemLabels() {
  const labels = new Map();
  for (const template of await store.all("template")) {
    for (const item of template.items || []) labels.set(item.key, item.label || item.key);
  }
  return labels;
}

export async function panel(filter = () => true) {
  const rows = (await open()).filter(filter);
  if (!rows.length) return "";
  const labels = await itemLabels();
  const items = rows
    .map((r) => {
      const { kind, text } = explain(r, labels);
      const title = kind === "review" ? `<strong>${esc(t("sent_for_review"))}</strong> ` : "";
      return `<li class="problem problem-${kind}" data-result="${r.id}">${title}${esc(text)}</li>`;
    })
    .join("");
  return `<section id="problems" class="card warn"><h2>${esc(t("problems"))}</h2>
    <ul>${items}</ul>
    <button type="button" class="secondary" data-action="dismiss-problems"
      data-ids="${rows.map((r) => r.id).join(",")}">${esc(t("dismiss"))}</button></section>`;
}
