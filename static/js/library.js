// The case library, made nicer: live result counts while filtering and search suggestions.
// Both come from the public API (/api/v1/), the same one partners use. Without this file the page works.
import { apiUrl, formatNumber, interpolate, ngettext } from "./i18n.js";
import { attachSuggestions } from "./suggest.js";

const form = document.getElementById("library-form");
const FACET_COUNTS_URL = "/api/v1/cases/facet-counts/";

function formQuery(formElement) {
  const params = new URLSearchParams();
  for (const [name, value] of new FormData(formElement)) {
    if (value !== "" && name !== "page") params.append(name, value);
  }
  return params;
}

let pending;
async function refreshCounts() {
  const params = formQuery(form);
  if (pending) pending.abort();
  pending = new AbortController();
  let data;
  try {
    const response = await fetch(apiUrl(FACET_COUNTS_URL, params), {
      headers: { Accept: "application/json" },
      signal: pending.signal,
    });
    if (!response.ok) return;
    data = await response.json();
  } catch {
    return; // offline or aborted: the page still works with its server-rendered counts
  }
  const facets = data.facets || {};
  for (const element of form.querySelectorAll("[data-facet-count]")) {
    const [parameter, value] = element.dataset.facetCount.split(":");
    const count = (facets[parameter] || {})[value] || 0;
    element.textContent = `(${formatNumber(count)})`;
  }
  const status = document.getElementById("result-count");
  if (status && typeof data.count === "number") {
    status.textContent = interpolate(
      ngettext(
        // Translators: “Apply filters” is the label of the filter panel's button; use its translation.
        "%(count)s case study matches these filters. Choose “Apply filters” to see them.",
        "%(count)s case studies match these filters. Choose “Apply filters” to see them.",
        data.count,
      ),
      { count: formatNumber(data.count) },
      true,
    );
  }
}

if (form) {
  form.addEventListener("change", (event) => {
    if (event.target.matches("input[type=checkbox], input[type=number]")) refreshCounts();
  });
}

// The filters' disclosure (a <details>, templates/cases/casestudy_list.html), which works without this
// file. On narrow screens, Escape inside the open panel folds it and puts the focus back on its button. On
// wide screens the CSS keeps it open and hides the button; a browser that cannot is asked to open it here.
const filters = document.getElementById("filters");
if (filters) {
  const wide = window.matchMedia("(min-width: 52rem)");
  if (wide.matches && !CSS.supports("selector(::details-content)")) filters.open = true;
  filters.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || wide.matches || !filters.open) return;
    filters.open = false;
    filters.querySelector("summary").focus();
  });
}

for (const input of document.querySelectorAll("input[type=search][name=q]")) {
  attachSuggestions(input);
}
