// Mutations the server did not simply apply, explained in plain words.
import { t, time } from "./i18n.js";
import * as store from "./store.js";
import { esc } from "./dom.js";

function actionLabel(result, labels) {
  const item = result.args.item_key;
  const label = result.about?.item_label || labels.get(item) || item || "";
  const key = `act_${String(result.name).replace(".", "_")}`;
  const action = t(key, { item: label });
  return action === key ? t("act_other") : action;
}

// "张伟 09:00 (#41)": who and when, remembered from before the visit left the phone.
function visitLabel(result) {
  const about = result.about || {};
  const id = `#${result.args.visit_id}`;
  return about.customer ? `${about.customer} ${time(about.start)} (${id})` : id;
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
    return { kind: "review", text: t("sent_for_review_text", { visit: visitLabel(result) }) };
  }
  return {
    kind: "rejected",
    text: t("rejected_text", {
      visit: visitLabel(result),
      action: actionLabel(result, labels),
      reason: reasonOf(result),
    }),
  };
}

// Unseen refusals and reviews; work sent for review is told once per visit.
export async function open() {
  const reviewed = new Set();
  return (await store.results()).filter((r) => {
    if (r.outcome === "applied" || r.seen) return false;
    if (r.outcome !== "accepted_for_review") return true;
    if (reviewed.has(r.args.visit_id)) return false;
    reviewed.add(r.args.visit_id);
    return true;
  });
}

// Every unseen result of the same visits (dismissing a review dismisses all its steps).
async function openIds(rows) {
  const visits = new Set(rows.filter((r) => r.outcome === "accepted_for_review").map((r) => r.args.visit_id));
  const ids = new Set(rows.map((r) => r.id));
  for (const r of await store.results()) {
    if (!r.seen && r.outcome === "accepted_for_review" && visits.has(r.args.visit_id)) ids.add(r.id);
  }
  return [...ids];
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
      data-ids="${(await openIds(rows)).join(",")}">${esc(t("dismiss"))}</button></section>`;
}
