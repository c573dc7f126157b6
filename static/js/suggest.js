// Search suggestions as an accessible combobox (WAI-ARIA 1.2 pattern), fed by /api/v1/suggest/?q=.
const SUGGEST_URL = "/api/v1/suggest/";
let uid = 0;

export function attachSuggestions(input) {
  uid += 1;
  const listId = `suggestions-${uid}`;
  const list = document.createElement("ul");
  list.id = listId;
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", "Suggestions");
  const box = document.createElement("div");
  box.className = "suggestions";
  box.hidden = true;
  box.appendChild(list);
  input.closest(".search-bar").appendChild(box);
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-expanded", "false");
  input.setAttribute("aria-controls", listId);

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
      option.textContent = item.kind ? `${item.label} (${item.kind})` : item.label;
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
      const response = await fetch(`${SUGGEST_URL}?${new URLSearchParams({ q })}`, {
        headers: { Accept: "application/json" },
        signal: controller.signal,
      });
      if (!response.ok) return close();
      const data = await response.json();
      const items = [];
      for (const [group, kind] of [["cases", ""], ["economies", "economy"], ["themes", "theme"]]) {
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
