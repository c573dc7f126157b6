// Search suggestions as an accessible combobox (WAI-ARIA 1.2 pattern), fed by /api/v1/suggest/?q=, asked
// in the page's language so the suggestions' names and links are in it too.
import { apiUrl, gettext, interpolate } from "./i18n.js";

// Unless the input names its own (data-suggest-url).
const SUGGEST_URL = "/api/v1/suggest/";
let uid = 0;

// A suggestion that is not a case, named with what it is: "Japan (economy)".
function withKind(item) {
  // Translators: a search suggestion's name and what it is: "Japan (economy)", "Digital government (theme)".
  return interpolate(gettext("%(name)s (%(kind)s)"), { name: item.label, kind: item.kind }, true);
}

export function attachSuggestions(input) {
  uid += 1;
  const listId = `suggestions-${uid}`;
  const list = document.createElement("ul");
  list.id = listId;
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", gettext("Suggestions"));
  const box = document.createElement("div");
  box.className = "suggestions";
  box.hidden = true;
  box.appendChild(list);
  input.closest(".search-bar").appendChild(box);
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-expanded", "false");
  input.setAttribute("aria-controls", listId);
  const suggestUrl = input.dataset.suggestUrl || SUGGEST_URL;

  let options = [];
  let active = -1;
  let timer;
  let controller;

  function close() {
    box.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  }

  function highlight(index) {
    options.forEach((option, i) => option.setAttribute("aria-selected", String(i === index)));
    active = index;
    if (index >= 0) {
      input.setAttribute("aria-activedescendant", options[index].id);
      options[index].scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }

  function render(items) {
    list.replaceChildren();
    options = items.map((item, index) => {
      const option = document.createElement("li");
      option.id = `${listId}-${index}`;
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", "false");
      option.textContent = item.kind ? withKind(item) : item.label;
      option.dataset.url = item.url;
      option.addEventListener("mousedown", (event) => {
        event.preventDefault();
        window.location.assign(item.url);
      });
      list.appendChild(option);
      return option;
    });
    if (options.length) {
      box.hidden = false;
      input.setAttribute("aria-expanded", "true");
    } else {
      close();
    }
  }

  async function fetchSuggestions() {
    const q = input.value.trim();
    if (q.length < 2) return close();
    if (controller) controller.abort();
    controller = new AbortController();
    try {
      const response = await fetch(apiUrl(suggestUrl, { q }), {
        headers: { Accept: "application/json" },
        signal: controller.signal,
      });
      if (!response.ok) return close();
      const data = await response.json();
      const items = [];
      const groups = [
        ["cases", ""],
        // Translators: what a search suggestion is, after its name: "Japan (economy)".
        ["economies", gettext("economy")],
        // Translators: what a search suggestion is, after its name: "Digital government (theme)".
        ["themes", gettext("theme")],
      ];
      for (const [group, kind] of groups) {
        for (const item of data[group] || []) items.push({ label: item.label, url: item.url, kind });
      }
      render(items.slice(0, 10));
    } catch {
      close();
    }
  }

  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(fetchSuggestions, 150);
  });
  input.addEventListener("keydown", (event) => {
    if (box.hidden) return;
    if (event.key === "ArrowDown") {
      event.preventDefault();
      highlight((active + 1) % options.length);
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      highlight(active <= 0 ? options.length - 1 : active - 1);
    } else if (event.key === "Enter" && active >= 0) {
      event.preventDefault();
      window.location.assign(options[active].dataset.url);
    } else if (event.key === "Escape") {
      close();
    }
  });
  input.addEventListener("blur", () => setTimeout(close, 100));
}
