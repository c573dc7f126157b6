// /stats/, made livelier: the charts are drawn from the server-rendered tables, and changing a filter
// fetches the same figures from the public API (/api/v1/stats/, the endpoint partners use), rewrites the
// tables, headline figures and library links, redraws the charts and puts the selection in the address.
// Without this file the form still works (it submits) and every figure is in the tables.
import { drawCharts, drawSection } from "./charts.js";
import { apiUrl, formatNumber, formatPercent, gettext, interpolate, ngettext, pagePath } from "./i18n.js";

const form = document.getElementById("stats-form");
const status = document.getElementById("stats-status");
// The library in this page's language (/ja/cases/).
const LIBRARY_URL = pagePath("/cases/");
// What the page says of the facet table (cases/models/facets.py): each chart section's data-parameter is
// the library parameter its rows narrow to (the API's bucket is by_<parameter>), data-numbered-labels
// marks a chart whose labels start with their values, and the form's data-many-valued lists the
// parameters a case can have several values of.
const MANY_VALUED = (form?.dataset.manyValued || "").split(" ").filter(Boolean);

function formQuery(formElement) {
  const params = new URLSearchParams();
  for (const [name, value] of new FormData(formElement)) {
    if (value !== "") params.append(name, value);
  }
  return params;
}

// The library query giving exactly a row's cases, or null when none can (see with_value in
// cases/site/stats.py).
function narrowed(params, parameter, value) {
  const selected = params.getAll(parameter);
  if (MANY_VALUED.includes(parameter) && selected.length && !selected.includes(value)) return null;
  const query = new URLSearchParams(params);
  if (parameter === "year") {
    query.set("year_from", value);
    query.set("year_to", value);
  } else {
    query.set(parameter, value);
  }
  return query;
}

// The same words as the server's (templates/includes/chart_library_link.html).
function casesPhrase(count) {
  return interpolate(
    ngettext("See this %(counter)s case in the library", "See these %(counter)s cases in the library", count),
    { counter: formatNumber(count) },
    true,
  );
}

// The API's by_year lists the years with cases; the timeline shows every year from the first to the last,
// a year without cases as 0 (with_empty_years in cases/insights/statistics.py). Its label counts in the
// reader's era as the others do (a Thai reader's 2558 for 2015): the API's labels give the offset.
function withEmptyYears(buckets) {
  if (!buckets.length) return buckets;
  const byYear = new Map(buckets.map((bucket) => [Number(bucket.value), bucket]));
  const offset = Number(buckets[0].label) - Number(buckets[0].value) || 0;
  const years = [...byYear.keys()];
  const filled = [];
  for (let year = Math.min(...years); year <= Math.max(...years); year++) {
    filled.push(byYear.get(year) || { value: String(year), label: String(year + offset), count: 0 });
  }
  return filled;
}

function rebuildTable(section, buckets, parameter, params, partsByYear) {
  const body = section.querySelector("tbody");
  if (!body) return;
  const withParts = section.hasAttribute("data-stacked");
  const numbered = section.hasAttribute("data-numbered-labels");
  const rows = buckets.map((bucket) => {
    const row = document.createElement("tr");
    row.dataset.value = bucket.value;
    // Goals are known by their numbers, as on the server-rendered page.
    const label = numbered ? `${bucket.value}. ${bucket.label}` : bucket.label;
    row.dataset.label = label;
    row.dataset.count = String(bucket.count);
    const heading = document.createElement("th");
    heading.scope = "row";
    // A year without cases gets no link, as on the server: the library would only say so.
    const query = parameter === "year" && bucket.count === 0 ? null : narrowed(params, parameter, bucket.value);
    if (query) {
      const link = document.createElement("a");
      link.href = `${LIBRARY_URL}?${query}`;
      link.textContent = label;
      heading.appendChild(link);
    } else {
      heading.textContent = label;
    }
    const count = document.createElement("td");
    count.className = "num";
    count.textContent = formatNumber(bucket.count);
    row.append(heading, count);
    if (withParts) {
      const parts = partsByYear.get(bucket.value) || [];
      row.dataset.parts = JSON.stringify(parts.map((part) => [part.value, part.label, part.count]));
      const cell = document.createElement("td");
      cell.textContent = parts.map((part) => `${part.label} ${formatNumber(part.count)}`).join(", ");
      row.appendChild(cell);
    }
    return row;
  });
  body.replaceChildren(...rows);
}

function showHeadline(data) {
  const withOutcomes = interpolate(
    // Translators: cases with measured outcomes, of all the cases counted ("3 of 12").
    gettext("%(n)s of %(total)s"),
    { n: formatNumber(data.with_outcomes), total: formatNumber(data.count) },
    true,
  );
  const figures = {
    count: formatNumber(data.count),
    economies: formatNumber(data.by_economy.length),
    sectors: formatNumber(data.by_sector.length),
    outcome_percent: formatPercent(Math.round(100 * data.outcome_share)),
    with_outcomes: `(${withOutcomes})`,
  };
  for (const [name, text] of Object.entries(figures)) {
    const element = document.querySelector(`[data-figure="${name}"]`);
    if (element) element.textContent = text;
  }
}

function showUndated(data) {
  const element = document.querySelector("[data-undated]");
  if (!element) return;
  const dated = data.by_year.reduce((sum, bucket) => sum + bucket.count, 0);
  const undated = data.count - dated;
  element.textContent =
    undated === 0
      ? ""
      : interpolate(
          ngettext(
            "%(counter)s case has no year launched and is not on the timeline.",
            "%(counter)s cases have no year launched and are not on the timeline.",
            undated,
          ),
          { counter: formatNumber(undated) },
          true,
        );
}

// The selection the page shows, as its query string. A history entry that differs only in its fragment (the
// skip link's #main, a link to a chart) is the same selection: following such a link fires popstate too, and
// must not redraw the page (WCAG 2.4.1: the skip link would reload it and lose the focus).
let shownSearch = location.search;

let pending;
async function update() {
  const params = formQuery(form);
  const address = `${location.pathname}${params.size ? `?${params}` : ""}`;
  if (address !== `${location.pathname}${location.search}`) history.pushState(null, "", address);
  shownSearch = location.search;
  if (pending) pending.abort();
  pending = new AbortController();
  let data;
  try {
    const response = await fetch(apiUrl(form.dataset.statsUrl, params), {
      headers: { Accept: "application/json" },
      signal: pending.signal,
    });
    if (!response.ok) {
      status.textContent = gettext("Those filters could not be used: check the years (1900 to 2100).");
      return;
    }
    data = await response.json();
  } catch (error) {
    if (error.name !== "AbortError") status.textContent = gettext("The figures could not be updated; try again.");
    return;
  }
  showHeadline(data);
  showUndated(data);
  const partsByYear = new Map();
  for (const part of data.by_year_sector || []) {
    if (!partsByYear.has(part.year)) partsByYear.set(part.year, []);
    partsByYear.get(part.year).push(part);
  }
  for (const section of document.querySelectorAll("section[data-chart]")) {
    const parameter = section.dataset.parameter;
    if (!parameter) continue;
    const buckets = data[`by_${parameter}`] || [];
    rebuildTable(section, parameter === "year" ? withEmptyYears(buckets) : buckets, parameter, params, partsByYear);
    const link = section.querySelector("[data-library-link]");
    if (link) {
      link.href = `${LIBRARY_URL}${params.size ? `?${params}` : ""}`;
      link.textContent = casesPhrase(data.count);
    }
    drawSection(section);
  }
  status.textContent = interpolate(
    ngettext(
      "%(count)s case study matches. The charts and tables are updated.",
      "%(count)s case studies match. The charts and tables are updated.",
      data.count,
    ),
    { count: formatNumber(data.count) },
    true,
  );
}

if (form && document.querySelector("[data-stats-charts]")) {
  drawCharts(document);
  form.addEventListener("change", update);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    update();
  });
  // Back and forward move between selections: the server renders each address afresh. A move within the
  // same selection (only the fragment differs) is left to the browser.
  window.addEventListener("popstate", () => {
    if (location.search !== shownSearch) location.reload();
  });
}
