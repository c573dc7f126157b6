// The case library, made nicer: live result counts while filtering and search suggestions.
// Both come from the public API (/api/v1/), the same one partners use. Without this file the page works.
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
    const response = await fetch(`${FACET_COUNTS_URL}?${params}`, {
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
    element.textContent = `(${count})`;
  }
  const status = document.getElementById("result-count");
  if (status && typeof data.count === "number") {
    const noun = data.count === 1 ? "case study" : "case studies";
    status.textContent = `${data.count.toLocaleString()} ${noun} match these filters. Choose “Apply filters” to see them.`;
  }
}

if (form) {
  form.addEventListener("change", (event) => {
    if (event.target.matches("input[type=checkbox], input[type=number]")) refreshCounts();
  });
}

for (const input of document.querySelectorAll("input[type=search][name=q]")) {
  attachSuggestions(input);
}
