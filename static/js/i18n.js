// The interface's words, numbers and addresses in the page's language, for the other modules.
// The words come from Django's JavaScript catalogue (django.views.i18n.JavaScriptCatalog), which base.html
// loads as a classic script before the modules: it defines gettext, ngettext and interpolate on window. If it
// failed to load, these fall back to the English in the source, so a page never breaks for want of it.
// Call gettext and ngettext with string literals only: `manage.py makemessages -d djangojs` (xgettext)
// finds the messages by reading the source, and a "Translators:" comment on the line above reaches the .po.
const root = document.documentElement;

// The page's language ("en", "ja", "zh-hant"...), as <html lang> gives it.
export function language() {
  return root.lang || "en";
}

export function gettext(msgid) {
  return typeof window.gettext === "function" ? window.gettext(msgid) : msgid;
}

export function ngettext(singular, plural, count) {
  if (typeof window.ngettext === "function") return window.ngettext(singular, plural, count);
  return count === 1 ? singular : plural;
}

// interpolate(gettext("Compare these %(count)s cases"), { count: 3 }, true): named placeholders, which
// translators can move; without `named`, each %s takes the next item of a list.
export function interpolate(format, values, named = false) {
  if (typeof window.interpolate === "function") return window.interpolate(format, values, named);
  if (named) return format.replace(/%\(\w+\)s/g, (match) => String(values[match.slice(2, -2)]));
  const list = [...values];
  return format.replace(/%s/g, () => String(list.shift()));
}

// A page of the site in the page's language: "/cases/" -> "/ja/cases/" (English has no prefix).
export function pagePath(path) {
  return `${root.dataset.languagePrefix || ""}${path}`;
}

// An address of the public API, with `params` (a URLSearchParams or anything it takes) and the page's
// language as ?lang=, always last. The API has one address for every language and otherwise answers in the
// browser's language (Accept-Language, the language cookie), which need not be the page's, English included:
// so the labels and page links it returns are in the language of the page that shows them.
export function apiUrl(path, params) {
  const url = new URL(path, document.baseURI);
  for (const [name, value] of new URLSearchParams(params || "")) url.searchParams.append(name, value);
  url.searchParams.set("lang", language());
  return url.origin === location.origin ? `${url.pathname}${url.search}${url.hash}` : url.href;
}

const formats = new Map();
function numberFormat(options = {}) {
  const key = JSON.stringify(options);
  if (!formats.has(key)) {
    let format;
    try {
      format = new Intl.NumberFormat(language(), options);
    } catch {
      format = new Intl.NumberFormat(undefined, options); // a lang attribute Intl does not know
    }
    formats.set(key, format);
  }
  return formats.get(key);
}

// A number for people to read, grouped as the page's language groups it: 1,234 (en), 1.234 (id).
export function formatNumber(n) {
  return numberFormat().format(n);
}

// A percentage given in percent (12.5 -> "12.5%"), with at most one decimal, as the tables print them.
export function formatPercent(percent) {
  return numberFormat({ style: "percent", maximumFractionDigits: 1 }).format(percent / 100);
}

// A range of whole numbers: "1–5" (en), "1～5" (ja).
export function formatRange(from, to) {
  const format = numberFormat();
  return typeof format.formatRange === "function"
    ? format.formatRange(from, to)
    : `${format.format(from)}–${format.format(to)}`;
}
