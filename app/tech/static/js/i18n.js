// Strings from one catalogue per language; zh-CN by default, English on request.
import zh from "../i18n/zh-CN.js";
import en from "../i18n/en.js";

export const LANGUAGES = { "zh-CN": zh, en };
const KEY = "tech.language";
let current = localStorage.getItem(KEY) in LANGUAGES ? localStorage.getItem(KEY) : "zh-CN";

export const language = () => current;

export function setLanguage(lang) {
  if (!(lang in LANGUAGES)) return;
  current = lang;
  localStorage.setItem(KEY, lang);
  document.documentElement.lang = lang;
}

export function t(key, params = {}) {
  const text = LANGUAGES[current][key] ?? LANGUAGES.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in params ? String(params[name]) : `{${name}}`));
}

const locale = () => (current === "en" ? "en-GB" : "zh-CN");

export const time = (iso) =>
  iso ? new Date(iso).toLocaleTimeString(locale(), { hour: "2-digit", minute: "2-digit" }) : "";

export const dayLabel = (day) =>
  new Date(`${day}T12:00:00`).toLocaleDateString(locale(), {
    weekday: "short", month: "short", day: "numeric",
  });

export const dateTime = (iso) =>
  iso ? new Date(iso).toLocaleString(locale(), { dateStyle: "short", timeStyle: "short" }) : "";
