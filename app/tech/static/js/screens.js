// The sign-in form, the day lists and the settings screen.
import { $, esc, setView } from "./dom.js";
import { dateTime, dayLabel, language, t, time } from "./i18n.js";
import { dayOf, today, visitList, visitStart } from "./model.js";
import * as problems from "./problems.js";
import * as store from "./store.js";

export function signInScreen(message = "") {
  setView(`<form id="sign-in-form" class="card" data-action="sign-in" data-on="submit">
    <h2>${esc(t("sign_in"))}</h2>
    <label for="email">${esc(t("email"))}</label>
    <input id="email" name="email" type="email" autocomplete="username" required>
    <label for="password">${esc(t("password"))}</label>
    <input id="password" name="password" type="password" autocomplete="current-password" required>
    <p id="sign-in-error" class="error" role="alert">${esc(message)}</p>
    <button id="sign-in" type="submit" class="primary">${esc(t("sign_in"))}</button>
  </form>
  ${languageSwitch()}`);
}

export function languageSwitch() {
  const button = (lang, label) =>
    `<button type="button" id="lang-${lang}" data-action="language" data-lang="${lang}"
      class="${language() === lang ? "chosen" : "secondary"}">${label}</button>`;
  return `<section class="card languages"><h2>${esc(t("language"))}</h2>
    ${button("zh-CN", "中文")} ${button("en", "English")}</section>`;
}

function slaMark(visit) {
  if (!visit.sla_due) return "";
  const overdue = new Date(visit.sla_due) < new Date() && !["completed", "incomplete"].includes(visit.status);
  const label = overdue ? t("sla_overdue") : t("sla_due", { time: time(visit.sla_due) });
  const hard = visit.sla_hard ? " hard" : "";
  return `<span class="sla${overdue ? " overdue" : ""}${hard}">${esc(label)}</span>`;
}

function visitRow(visit, index) {
  const window = visit.window_start
    ? `<span class="window">${esc(t("window", { from: time(visit.window_start), to: time(visit.window_end) }))}</span>`
    : "";
  const pending = visit.pending ? `<span class="dot" title="${esc(t("pending_n", { n: visit.pending }))}"></span>` : "";
  return `<li class="visit status-${esc(visit.status)}" data-visit="${visit.id}">
    <a href="#/visit/${visit.id}">
      <span class="seq">${index + 1}</span>
      <span class="when">${esc(time(visitStart(visit)))}</span>
      <span class="main">
        <span class="who">${esc(visit.customer?.name || "")}${pending}</span>
        <span class="where">${esc(visit.site?.address || "")}</span>
        <span class="tags"><span class="kind kind-${esc(visit.kind)}">${esc(t(`kind_${visit.kind}`))}</span>
          <span class="chip">${esc(t(`status_${visit.status}`))}</span>${window}${slaMark(visit)}</span>
      </span>
    </a></li>`;
}

export function routeList(visits, id = "route") {
  return `<ol id="${id}" class="route">${visits.map(visitRow).join("")}</ol>`;
}

function tabs(active) {
  const tab = (href, key, name) =>
    `<a href="${href}" id="tab-${name}" class="tab${active === name ? " active" : ""}">${esc(t(key))}</a>`;
  return `<nav class="tabs">${tab("#/", "today", "today")}${tab("#/days", "other_days", "days")}${tab(
    "#/settings", "settings", "settings")}</nav>`;
}

// Today's route in order, or another day's when `day` is given.
export async function dayScreen(day = null) {
  const started = performance.now();
  const shown = day || today();
  const visits = (await visitList()).filter((v) => dayOf(visitStart(v)) === shown);
  const list = visits.length ? routeList(visits) : `<p class="empty">${esc(t("no_visits_today"))}</p>`;
  setView(`${tabs(day ? "days" : "today")}${await problems.panel()}
    <h2 class="day" id="day" data-day="${shown}">${esc(dayLabel(shown))}
      <small>${esc(t("visits_n", { n: visits.length }))}</small></h2>${list}`);
  document.body.dataset.renderMs = (performance.now() - started).toFixed(1);
}

export async function otherDaysScreen() {
  const now = today();
  const byDay = new Map();
  for (const visit of await visitList()) {
    const day = dayOf(visitStart(visit));
    if (day === now) continue;
    if (!byDay.has(day)) byDay.set(day, []);
    byDay.get(day).push(visit);
  }
  const days = [...byDay.keys()].sort();
  const body = days.length
    ? days.map((day) => `<section class="other-day" data-day="${day}">
        <h2 class="day"><a href="#/day/${day}">${esc(dayLabel(day))}</a>
          <small>${esc(t("visits_n", { n: byDay.get(day).length }))}</small></h2>
        ${routeList(byDay.get(day), `route-${day}`)}</section>`).join("")
    : `<p class="empty">${esc(t("no_other_days"))}</p>`;
  setView(`${tabs("days")}${await problems.panel()}${body}`);
}

export async function settingsScreen(devicesHtml) {
  const email = await store.getMeta("email");
  setView(`${tabs("settings")}${languageSwitch()}
    <section class="card" id="devices"><h2>${esc(t("devices"))}</h2>${devicesHtml}</section>
    <section class="card"><p>${esc(t("signed_in_as", { email }))}</p>
      <p class="muted">${esc(t("local_records", { n: await store.countRecords() }))} ·
      ${esc(t("app_version", { version: document.body.dataset.version }))}</p>
      <button type="button" id="sign-out" class="danger" data-action="sign-out">${esc(t("sign_out"))}</button>
    </section>`);
}

export function devicesList(devices, mine) {
  if (!devices) return `<p class="muted">${esc(t("devices_offline"))}</p>`;
  return `<ul class="devices">${devices
    .map((d) => {
      const me = d.device_id === mine;
      const state = d.active ? t("device_active") : t("device_retired");
      const seen = d.last_seen ? ` · ${esc(t("last_seen", { time: dateTime(d.last_seen) }))}` : "";
      const retire = !me && d.active
        ? `<button type="button" class="danger small" data-action="retire" data-device="${esc(d.device_id)}"
            data-name="${esc(d.name || d.device_id)}">${esc(t("lost_phone"))}</button>`
        : "";
      return `<li data-device="${esc(d.device_id)}"><strong>${esc(d.name || d.device_id)}</strong>
        ${me ? `<em>(${esc(t("this_device"))})</em>` : ""}<br>
        <span class="muted">${esc(state)}${seen}</span>${retire}</li>`;
    })
    .join("")}</ul>`;
}

export const focusEmail = () => $("#email")?.focus();
