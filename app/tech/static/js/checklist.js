// The server's checklist and completion rules, mirrored so the phone can say offline what is
// still missing: app/services/completion.py (missing_requirements) and
// app/services/fieldwork.py (_check_answer_type). Keep the three in step.

// The items of the active templates for the visit's kind.
export function checklistItems(templates, visit) {
  return templates
    .filter((t) => t.kind === visit.kind && t.active)
    .sort((a, b) => a.id - b.id)
    .flatMap((t) => t.items || []);
}

// A yes/no answer as a boolean (true/false, "yes"/"no", 1/0, 是/否), else null.
export function asBool(value) {
  if (typeof value === "boolean") return value;
  if (typeof value === "number") return value === 0 || value === 1 ? Boolean(value) : null;
  if (typeof value === "string") {
    const text = value.trim().toLowerCase();
    if (["yes", "true", "1", "y", "是"].includes(text)) return true;
    if (["no", "false", "0", "n", "否"].includes(text)) return false;
  }
  return null;
}

export const choicesOf = (item) => item.choices || item.options || [];

// Would the server accept this value for the item? Returns an error key or null.
export function answerError(item, value) {
  const type = item.type || "text";
  if (value === null || value === undefined) return null;
  if (type === "text" && typeof value !== "string") return "answer_text";
  if (type === "number" && (typeof value !== "number" || !Number.isFinite(value))) {
    return "answer_number";
  }
  if (type === "boolean" && typeof value !== "boolean") return "answer_boolean";
  if (type === "choice") {
    if (typeof value !== "string") return "answer_choice";
    const choices = choicesOf(item);
    if (choices.length && !choices.includes(value)) return "answer_choice";
  }
  return null;
}

function photoCount(photos, item) {
  return photos.filter((p) =>
    item.photo_kind
      ? p.kind === item.photo_kind || p.checklist_item_key === item.key
      : p.checklist_item_key === item.key,
  ).length;
}

// What the checklist demands and the visit does not have yet: [{item, reason, params}].
export function missingRequirements(items, { answers, photos, signatures }) {
  const missing = [];
  for (const item of items) {
    if (item.required === false) continue;
    const gap = itemGap(item, answers, photos, signatures);
    if (gap) missing.push({ item, ...gap });
  }
  return missing;
}

function itemGap(item, answers, photos, signatures) {
  if (item.type === "photo") {
    const wanted = Number(item.min_photos || 1);
    const have = photoCount(photos, item);
    return have >= wanted ? null : { reason: "missing_photos", params: { wanted, have } };
  }
  if (item.type === "signature") {
    return signatures.length ? null : { reason: "missing_signature", params: {} };
  }
  const value = answers[item.key];
  if (value === null || value === undefined || (typeof value === "string" && !value.trim())) {
    return { reason: "missing_answer", params: {} };
  }
  if (item.type === "boolean" && asBool(value) === null) {
    return { reason: "missing_yes_no", params: {} };
  }
  if (item.type === "choice" && item.choices && !item.choices.includes(value)) {
    return { reason: "missing_choice", params: { choices: item.choices.join(", ") } };
  }
  return null;
}
