// The "Compare" buttons on case cards and case pages: a list of up to four cases kept in this browser
// (localStorage, nothing sent anywhere) and a tray linking to /compare/?cases=a,b. Without JavaScript the
// buttons stay hidden and /compare/ still works from its address.
import { formatNumber, gettext, interpolate, ngettext, pagePath } from "./i18n.js";

const KEY = "observatory:compare";
const MAX = 4;
// The compare page in this page's language (/ja/compare/); the list itself is the same in every language.
const COMPARE_URL = pagePath("/compare/");

function load() {
  try {
    const list = JSON.parse(localStorage.getItem(KEY) || "[]");
    return Array.isArray(list)
      ? list.filter((item) => item && typeof item.slug === "string" && typeof item.title === "string").slice(0, MAX)
      : [];
  } catch {
    return []; // storage blocked or the value mangled: start with an empty list
  }
}

function save(list) {
  try {
    localStorage.setItem(KEY, JSON.stringify(list));
  } catch {
    // storage blocked: the list lasts as long as the page
  }
}

let list = load();
let tray;
let message;

function compareLink(items) {
  return `${COMPARE_URL}?cases=${items.map((item) => encodeURIComponent(item.slug)).join(",")}`;
}

function buildTray() {
  const main = document.getElementById("main");
  if (!main) return;
  tray = document.createElement("section");
  tray.className = "compare-tray";
  tray.setAttribute("aria-labelledby", "compare-tray-title");
  tray.hidden = true;
  const title = document.createElement("h2");
  title.id = "compare-tray-title";
  title.className = "compare-tray__title";
  title.textContent = gettext("Cases to compare");
  const items = document.createElement("ul");
  items.className = "compare-tray__list";
  const actions = document.createElement("p");
  actions.className = "compare-tray__actions";
  const go = document.createElement("a");
  go.className = "button";
  go.dataset.compareGo = "";
  const clear = document.createElement("button");
  clear.type = "button";
  clear.className = "button button--secondary";
  clear.textContent = gettext("Clear the list");
  clear.addEventListener("click", () => {
    list = [];
    changed(gettext("The compare list is empty."));
  });
  actions.append(go, " ", clear);
  message = document.createElement("p");
  message.className = "compare-tray__message";
  message.setAttribute("role", "status");
  tray.append(title, items, actions);
  main.append(tray, message);
  // The tray sticks to the bottom of the window: the page keeps that much room below whatever has the focus
  // (scroll-padding-bottom on html, charts.css), so nothing focused is hidden under it (WCAG 2.4.11).
  if (typeof ResizeObserver === "function") new ResizeObserver(keepFocusClear).observe(tray);
}

function keepFocusClear() {
  const height = tray && !tray.hidden ? tray.getBoundingClientRect().height : 0;
  // Set through the CSSOM, which a style-src 'self' policy allows (unlike a style attribute in HTML).
  document.documentElement.style.setProperty("--compare-tray-height", `${Math.ceil(height)}px`);
}

function render() {
  const slugs = new Set(list.map((item) => item.slug));
  for (const button of document.querySelectorAll("[data-compare-slug]")) {
    button.hidden = false;
    button.setAttribute("aria-pressed", slugs.has(button.dataset.compareSlug) ? "true" : "false");
  }
  if (!tray) return;
  tray.hidden = list.length === 0;
  const items = tray.querySelector(".compare-tray__list");
  items.replaceChildren(
    ...list.map((item) => {
      const entry = document.createElement("li");
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "compare-tray__remove";
      remove.textContent = gettext("Remove");
      const hidden = document.createElement("span");
      hidden.className = "visually-hidden";
      // Translators: read by screen readers after "Remove" on the button that takes a case off the list.
      hidden.textContent = interpolate(gettext(": %(title)s"), { title: item.title }, true);
      remove.appendChild(hidden);
      remove.addEventListener("click", () => {
        list = list.filter((other) => other.slug !== item.slug);
        changed(removedMessage(item.title));
      });
      entry.append(`${item.title} `, remove);
      return entry;
    }),
  );
  const go = tray.querySelector("[data-compare-go]");
  go.href = compareLink(list);
  go.textContent =
    list.length === 1
      ? gettext("Compare (add another case)")
      : interpolate(
          // Translators: the list holds two cases or more; the singular is there for languages that need it.
          ngettext("Compare this %(count)s case", "Compare these %(count)s cases", list.length),
          { count: formatNumber(list.length) },
          true,
        );
  keepFocusClear(); // at once, not only when the observer next reports
}

function removedMessage(title) {
  return interpolate(gettext("%(title)s removed from the compare list."), { title }, true);
}

function changed(text) {
  save(list);
  render();
  if (message) message.textContent = text;
}

function toggle(button) {
  const slug = button.dataset.compareSlug;
  const title = button.dataset.compareTitle || slug;
  if (list.some((item) => item.slug === slug)) {
    list = list.filter((item) => item.slug !== slug);
    changed(removedMessage(title));
  } else if (list.length >= MAX) {
    if (message) {
      message.textContent = interpolate(
        ngettext(
          "At most %(max)s case can be compared: remove it first.",
          "At most %(max)s cases can be compared: remove one first.",
          MAX,
        ),
        { max: formatNumber(MAX) },
        true,
      );
    }
  } else {
    list = [...list, { slug, title }];
    changed(
      interpolate(
        // Translators: "(2 of 4)": the cases now on the list, and the most it can hold.
        gettext("%(title)s added to the compare list (%(count)s of %(max)s)."),
        { title, count: formatNumber(list.length), max: formatNumber(MAX) },
        true,
      ),
    );
  }
}

if (document.querySelector("[data-compare-slug]") || list.length) {
  buildTray();
  render();
}
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-compare-slug]");
  if (button) toggle(button);
});
// Another tab changed the list.
window.addEventListener("storage", (event) => {
  if (event.key === KEY) {
    list = load();
    if (!tray) buildTray();
    render();
  }
});

// /compare/: the header row of case titles sticks to the top while the comparison scrolls (charts.css); the
// page keeps that much room above whatever has the focus (scroll-padding-top), so nothing focused is hidden
// under it (WCAG 2.4.11). A long section folds away in one case's column (<details>, without JavaScript too);
// here folding or unfolding it does the same to that section of every case, so the row stays aligned.
const compareTable = document.querySelector(".compare-table");
if (compareTable && compareTable.tHead) {
  const head = compareTable.tHead;
  const keepHeadClear = () => {
    const height = Math.ceil(head.getBoundingClientRect().height);
    document.documentElement.style.setProperty("--compare-head-height", `${height}px`);
  };
  keepHeadClear();
  if (typeof ResizeObserver === "function") new ResizeObserver(keepHeadClear).observe(head);
  // "toggle" does not bubble: listened for on its way down.
  compareTable.addEventListener(
    "toggle",
    (event) => {
      const section = event.target;
      if (!(section instanceof HTMLDetailsElement) || !section.matches(".compare-section")) return;
      for (const other of section.closest("tr").querySelectorAll("details.compare-section")) {
        if (other.open !== section.open) other.open = section.open;
      }
    },
    true,
  );
  // At narrow widths the comparison scrolls in a box of its own whose titles stick to its top: a title's link
  // reached backwards (Shift+Tab from below) is brought into the box's view, yet the box's top can stay above
  // the window. Whatever takes the focus in the comparison is brought into the window as well (WCAG 2.4.11).
  compareTable.addEventListener("focusin", (event) => {
    const target = event.target;
    requestAnimationFrame(() => {
      if (document.activeElement !== target) return;
      let box = target.getBoundingClientRect();
      if (box.top >= 0 && box.bottom <= window.innerHeight) return;
      target.scrollIntoView({ block: "nearest" });
      // A title sticks to the box's top, so scrolling the box may leave it where it was: the window makes up
      // whatever is still out of view.
      box = target.getBoundingClientRect();
      if (box.top < 0) window.scrollBy(0, box.top - 8);
      else if (box.bottom > window.innerHeight) window.scrollBy(0, box.bottom - window.innerHeight + 8);
    });
  });
  // On paper nothing can be unfolded: every section is printed whole, and folded again afterwards.
  let foldedForPrint = [];
  window.addEventListener("beforeprint", () => {
    foldedForPrint = [...compareTable.querySelectorAll("details.compare-section:not([open])")];
    for (const section of foldedForPrint) section.open = true;
  });
  window.addEventListener("afterprint", () => {
    for (const section of foldedForPrint) section.open = false;
    foldedForPrint = [];
  });
}
