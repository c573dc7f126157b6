// Charts drawn from the data tables the server renders (templates/includes/chart*.html), so a chart never
// says anything its table does not. Chart.js draws the bars (canvas), d3-geo and topojson-client the map
// (SVG, Natural Earth's countries from the world-atlas package). All three are served by this site
// (STATICFILES_DIRS -> node_modules), loaded as classic deferred scripts before this module runs; if they
// are missing the tables stay open and the page loses nothing. Words and figures are in the page's
// language (i18n.js); the labels of bars and rows come translated in the tables.
import { formatNumber, formatPercent, formatRange, gettext, interpolate, language } from "./i18n.js";

const INK = "#1b1f24";
const BRAND = "#0b4f6c";
const ACCENT = "#b3541e";
const GRID = "#c9d1d8";
// Each at least 3:1 against white (WCAG 1.4.11); stacks are also separated by white borders, named in the
// legend and listed in the table, so no reading depends on telling two colours apart.
const SERIES_COLOURS = ["#0b4f6c", "#b3541e", "#2e7d32", "#6a3d9a", "#a4262c", "#005f73"];
const OTHER_COLOUR = "#6b6b6b";
// A bar's label is wrapped into lines no wider than the axis may be (Chart.js gives a horizontal chart's axis
// at most half of its width, less its padding: RIGHT_PADDING), at most LABEL_LINES of them; what is still
// too long ends in "…". The tooltip and the data table give the whole name.
const LABEL_WIDTH = 170; // px: a wide chart's labels, about 24 characters of 12px type
const LABEL_LINES = 4;
const LABEL_LINE_HEIGHT = 15;
const LABEL_FONT_SIZE = 12; // Chart.js's default for ticks
const TICK_SPACE = 14; // px: the tick's padding and a margin
const RIGHT_PADDING = 48; // px: room for the value printed at the end of the longest bar
// Sequential blues for the map, light to dark; the count is also printed on each economy.
const MAP_SHADES = ["#deebf7", "#9ecae1", "#4292c6", "#2171b5", "#08306b"];
const MAP_EMPTY_MEMBER = "#f7f9fa";
const MAP_OTHER = "#e4e8eb";
// Economies too small for the 1:110m outlines are shown as dots at these [longitude, latitude].
const POINTS = {
  "702": [103.82, 1.35], // Singapore
  "344": [114.17, 22.32], // Hong Kong
  "446": [113.55, 22.19], // Macao
  "462": [73.5, 4.17], // Maldives
  "048": [50.56, 26.07], // Bahrain
};
const SVG = "http://www.w3.org/2000/svg";

// What a shape of the map says when pointed at: "Japan: 4".
function economyCount(row) {
  // Translators: a map's tooltip: an economy's name and its number of cases ("Japan: 4").
  return interpolate(gettext("%(economy)s: %(count)s"), { economy: row.label, count: formatNumber(row.count) }, true);
}

const charts = new WeakMap();

export function chartsAvailable() {
  return typeof window.Chart === "function";
}

export function rowsOf(section) {
  return [...section.querySelectorAll("tbody tr[data-count]")].map((row) => ({
    value: row.dataset.value,
    label: row.dataset.label,
    count: Number(row.dataset.count),
    share: Number(row.dataset.share),
    apoShare: Number(row.dataset.apoShare),
    parts: row.dataset.parts ? JSON.parse(row.dataset.parts) : [],
  }));
}

// The width of a line of label text as the axis draws it, measured on a canvas of our own.
let measuring;
function textWidth(text) {
  if (!measuring) measuring = document.createElement("canvas").getContext("2d");
  const family = window.Chart ? window.Chart.defaults.font.family : "sans-serif";
  measuring.font = `${LABEL_FONT_SIZE}px ${family}`;
  return measuring.measureText(text).width;
}

// The widest a horizontal chart's labels may be in a chart `width` pixels wide: on a narrow screen less than
// LABEL_WIDTH, so a long name wraps onto more lines instead of being cut at the canvas's edge.
export function labelWidth(width) {
  return Math.max(48, Math.min(LABEL_WIDTH, (width - RIGHT_PADDING) / 2 - TICK_SPACE));
}

// A line within `maxWidth`, ending in "…" if it had to be shortened, or if `more` follows it unseen.
function cut(line, maxWidth, more = false) {
  if (!more && textWidth(line) <= maxWidth) return line;
  let shown = line;
  while (shown.length > 1 && textWidth(`${shown}…`) > maxWidth) shown = shown.slice(0, -1);
  return `${shown.trimEnd()}…`;
}

// A label as the lines an axis shows (Chart.js draws an array as lines), each at most `maxWidth` pixels,
// broken between words: the browser's word segmenter finds them in scripts written without spaces (Thai,
// Japanese, Chinese) too.
export function labelLines(label, maxWidth = LABEL_WIDTH) {
  if (textWidth(label) <= maxWidth) return [label];
  const pieces =
    typeof Intl.Segmenter === "function"
      ? [...new Intl.Segmenter(language(), { granularity: "word" }).segment(label)].map((piece) => piece.segment)
      : label.split(/(\s+)/);
  const lines = [""];
  for (const piece of pieces) {
    const line = lines[lines.length - 1];
    if (line.trim() && textWidth((line + piece).trimEnd()) > maxWidth) lines.push(piece.trimStart());
    else lines[lines.length - 1] = line + piece;
  }
  const words = lines.map((line) => line.trim()).filter(Boolean);
  const shown = words.slice(0, LABEL_LINES).map((line) => cut(line, maxWidth));
  if (words.length > LABEL_LINES) shown[LABEL_LINES - 1] = cut(words[LABEL_LINES - 1], maxWidth, true);
  return shown;
}

// A horizontal chart's height: each row tall enough for its label's lines.
function rowsHeight(rows, rowHeight, maxWidth) {
  const lines = Math.max(1, ...rows.map((row) => labelLines(row.label, maxWidth).length));
  return rows.length * Math.max(rowHeight, lines * LABEL_LINE_HEIGHT + 8);
}

// The least height of a stack's segment its figure is printed in (12px type and a margin).
const SEGMENT_LABEL_HEIGHT = 16;
// Prints each bar's value beside it (or a stack's total above it, and each segment's inside it where it fits):
// the figures never hide in a tooltip.
const valueLabels = {
  id: "valueLabels",
  afterDatasetsDraw(chart, _args, options) {
    const { ctx } = chart;
    const horizontal = chart.options.indexAxis === "y";
    const format = options.format || formatNumber;
    ctx.save();
    ctx.fillStyle = INK;
    ctx.font = "600 12px system-ui, sans-serif";
    ctx.textAlign = horizontal ? "left" : "center";
    ctx.textBaseline = horizontal ? "middle" : "bottom";
    if (options.totals) {
      const top = chart.getDatasetMeta(chart.data.datasets.length - 1).data;
      const totals = options.totals.map((total, index) => {
        let y = Infinity;
        for (let d = 0; d < chart.data.datasets.length; d++) {
          const bar = chart.getDatasetMeta(d).data[index];
          if (bar && chart.data.datasets[d].data[index]) y = Math.min(y, bar.y);
        }
        // A year without cases: its 0 on the axis, so the gap reads as a year with none.
        if (!Number.isFinite(y)) y = chart.scales[horizontal ? "x" : "y"].getPixelForValue(0);
        return { total, bar: top[index], y };
      });
      // Where bars are narrower than their figures (many years on a narrow screen), a figure that would
      // overlap one already printed is left out: the years with cases first, then the zeros where there is
      // room. The table gives them all.
      const printed = [];
      const overlaps = (box) =>
        printed.some(
          (other) => box.left < other.right && other.left < box.right && box.top < other.bottom && other.top < box.bottom,
        );
      for (const { total, bar, y } of [...totals.filter((t) => t.total), ...totals.filter((t) => !t.total)]) {
        if (!bar) continue;
        const text = format(total);
        const half = ctx.measureText(text).width / 2 + 1;
        const box = { left: bar.x - half, right: bar.x + half, top: y - 3 - SEGMENT_LABEL_HEIGHT, bottom: y - 3 };
        if (overlaps(box)) continue;
        printed.push(box);
        ctx.fillText(text, bar.x, y - 3);
      }
      // Each segment's own figure inside it, in white, where it fits (the table has them all).
      ctx.fillStyle = "#ffffff";
      ctx.textBaseline = "middle";
      chart.data.datasets.forEach((dataset, d) => {
        chart.getDatasetMeta(d).data.forEach((bar, index) => {
          const value = dataset.data[index];
          if (!value) return;
          const text = format(value);
          const { x, y: end, base, width } = bar.getProps(["x", "y", "base", "width"], true);
          if (Math.abs(base - end) < SEGMENT_LABEL_HEIGHT || ctx.measureText(text).width + 4 > width) return;
          ctx.fillText(text, x, (base + end) / 2);
        });
      });
    } else {
      chart.data.datasets.forEach((dataset, d) => {
        chart.getDatasetMeta(d).data.forEach((bar, index) => {
          const text = format(dataset.data[index]);
          if (horizontal) ctx.fillText(text, bar.x + 4, bar.y);
          else ctx.fillText(text, bar.x, bar.y - 3);
        });
      });
    }
    ctx.restore();
  },
};

function baseOptions({ horizontal, format, totals, stacked = false, valueTitle }) {
  const valueAxis = {
    beginAtZero: true,
    stacked,
    title: { display: Boolean(valueTitle), text: valueTitle || "", color: INK },
    grid: { color: GRID },
    ticks: { color: INK, precision: 0 },
  };
  const categoryAxis = {
    stacked,
    grid: { display: false },
    ticks: {
      color: INK,
      autoSkip: !horizontal,
      callback(value) {
        const label = String(this.getLabelForValue(value));
        return horizontal ? labelLines(label, labelWidth(this.chart.width)) : labelLines(label);
      },
    },
  };
  return {
    // Chart.js formats the axis ticks and tooltips' figures in this language.
    locale: language(),
    indexAxis: horizontal ? "y" : "x",
    responsive: true,
    maintainAspectRatio: false,
    animation: false,
    layout: { padding: horizontal ? { right: RIGHT_PADDING } : { top: 22 } },
    scales: horizontal ? { x: valueAxis, y: categoryAxis } : { x: categoryAxis, y: valueAxis },
    plugins: {
      // Chart.js's legend is painted on the canvas in lines it cannot wrap, so a long name was cut at the
      // canvas's edge: the legend is HTML instead, under the chart (showLegend below).
      legend: { display: false },
      // Chart.js's own tooltip is painted on the canvas, over the bar and its printed value, and nothing
      // dismisses it: this one is HTML (see showTooltip below).
      tooltip: {
        enabled: false,
        external: showTooltip,
        callbacks: {
          label: (item) => `${item.dataset.label}: ${(format || formatNumber)(item.raw)}`,
        },
      },
      valueLabels: { format, totals },
    },
  };
}

// --- Tooltips (WCAG 1.4.13, content on hover or focus) ----------------------------------------------
// Shown beside the bar pointed at, never on it or on its printed value; it stays while the pointer moves
// from the bar onto it (HIDE_DELAY gives the pointer time to cross the gap) and while the pointer is on it;
// Escape hides it without moving the focus or the pointer, until the pointer moves to another bar.

const HIDE_DELAY = 300;
const GAP = 6;
const VALUE_LABEL_HEIGHT = 16; // the figure printed above a vertical bar (valueLabels, 12px type)
const hideTimers = new WeakMap();

function tooltipOf(figure) {
  let tip = figure.querySelector(".chart__tooltip");
  if (!tip) {
    tip = document.createElement("div");
    tip.className = "chart__tooltip";
    // What it says is the bar's label and value, which the data table gives every reader.
    tip.setAttribute("aria-hidden", "true");
    tip.hidden = true;
    tip.addEventListener("pointerleave", () => hideSoon(tip));
    figure.appendChild(tip);
  }
  return tip;
}

function hideSoon(tip) {
  clearTimeout(hideTimers.get(tip));
  hideTimers.set(
    tip,
    setTimeout(() => {
      if (!tip.matches(":hover")) tip.hidden = true;
    }, HIDE_DELAY),
  );
}

function showTooltip({ chart, tooltip }) {
  const figure = chart.canvas.parentElement;
  if (!figure) return;
  const tip = tooltipOf(figure);
  const point = tooltip.dataPoints && tooltip.dataPoints[0];
  if (tooltip.opacity === 0 || !point) {
    delete tip.dataset.dismissed; // the pointer left the bar: the next bar may show its tooltip again
    hideSoon(tip);
    return;
  }
  const key = `${point.datasetIndex}:${point.dataIndex}`;
  if (tip.dataset.dismissed === key) return; // hidden with Escape while the pointer is still on this bar
  delete tip.dataset.dismissed;
  clearTimeout(hideTimers.get(tip));
  const title = document.createElement("strong");
  title.textContent = tooltip.title.join(" ");
  const lines = tooltip.body.flatMap((part) => part.lines).map((line) => {
    const element = document.createElement("span");
    element.textContent = line;
    return element;
  });
  tip.replaceChildren(title, ...lines);
  tip.dataset.key = key;
  tip.hidden = false;
  placeTooltip(tip, chart, point.element);
}

// Beside the bar: above or below a horizontal bar's row (its value is printed at its end, in the row), to
// the right or left of a vertical bar's column (its value is printed above it), or above that value when
// the column has neither side free (a narrow screen). Kept within the figure's width.
function placeTooltip(tip, chart, bar) {
  const { x, y, base, width, height } = bar.getProps(["x", "y", "base", "width", "height"], true);
  const figureWidth = chart.canvas.parentElement.clientWidth;
  const offsetLeft = chart.canvas.offsetLeft;
  const offsetTop = chart.canvas.offsetTop;
  const tipWidth = tip.offsetWidth;
  const tipHeight = tip.offsetHeight;
  let left;
  let top;
  if (chart.options.indexAxis === "y") {
    left = Math.min(x, base);
    top = y - height / 2 - GAP - tipHeight;
    if (top + offsetTop < 0) top = y + height / 2 + GAP;
  } else {
    left = x + width / 2 + GAP;
    top = Math.min(y, base);
    if (left + offsetLeft + tipWidth > figureWidth) left = x - width / 2 - GAP - tipWidth;
    if (left + offsetLeft < 0) {
      left = x - tipWidth / 2;
      top = Math.min(y, base) - VALUE_LABEL_HEIGHT - GAP - tipHeight;
    }
  }
  left = Math.max(0, Math.min(left + offsetLeft, figureWidth - tipWidth));
  top += offsetTop;
  // Set through the CSSOM, which a style-src 'self' policy allows (unlike a style attribute in HTML).
  tip.style.left = `${left}px`;
  tip.style.top = `${top}px`;
}

document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  for (const tip of document.querySelectorAll(".chart__tooltip:not([hidden])")) {
    tip.hidden = true;
    tip.dataset.dismissed = tip.dataset.key;
  }
});

// The key to a chart's colours, as a list under it whose names wrap like any text (at 320 px too). For the
// eye only: the data table names every series and gives every figure, for screen readers as for everyone.
function showLegend(section, figure, datasets) {
  section.querySelector(".chart-legend")?.remove();
  if (!datasets.length) return;
  const list = document.createElement("ul");
  list.className = "chart-legend";
  list.setAttribute("aria-hidden", "true");
  for (const dataset of datasets) {
    const item = document.createElement("li");
    const swatch = document.createElement("span");
    swatch.className = "chart-legend__swatch";
    // Set through the CSSOM, which a style-src 'self' policy allows (unlike a style attribute in HTML).
    swatch.style.backgroundColor = dataset.backgroundColor;
    const name = document.createElement("span");
    name.textContent = dataset.label;
    item.append(swatch, name);
    list.appendChild(item);
  }
  figure.after(list);
}

function place(section, config, height, { legend = false } = {}) {
  const figure = section.querySelector(".chart__figure");
  const canvas = figure && figure.querySelector("canvas");
  if (!canvas) return null;
  const previous = charts.get(canvas);
  if (previous) previous.destroy();
  const empty = config.data.labels.length === 0;
  figure.hidden = empty;
  const message = section.querySelector(".chart__empty");
  if (message) message.hidden = !empty;
  showLegend(section, figure, legend && !empty ? config.data.datasets : []);
  if (empty) return null;
  // Set through the CSSOM, which a style-src 'self' policy allows (unlike a style attribute in HTML).
  if (height) figure.style.height = `${height}px`;
  const tip = figure.querySelector(".chart__tooltip");
  if (tip) tip.hidden = true; // it spoke of the chart being replaced
  const chart = new window.Chart(canvas, { ...config, plugins: [valueLabels] });
  charts.set(canvas, chart);
  canvas.dataset.bars = String(config.data.labels.length);
  return chart;
}

function drawBars(section) {
  const rows = rowsOf(section);
  return place(
    section,
    {
      type: "bar",
      data: {
        labels: rows.map((row) => row.label),
        datasets: [{ label: gettext("Cases"), data: rows.map((row) => row.count), backgroundColor: BRAND }],
      },
      options: baseOptions({ horizontal: true }),
    },
    Math.max(90, rowsHeight(rows, 28, labelWidth(section.clientWidth)) + 50),
  );
}

function drawComparison(section) {
  const rows = rowsOf(section);
  const headings = section.querySelectorAll("thead th[data-series]");
  const names = [...headings].map((th) => th.textContent.trim());
  return place(
    section,
    {
      type: "bar",
      data: {
        labels: rows.map((row) => row.label),
        datasets: [
          { label: names[0] || gettext("Share here"), data: rows.map((row) => row.share), backgroundColor: BRAND },
          {
            label: names[1] || gettext("Share in all"),
            data: rows.map((row) => row.apoShare),
            backgroundColor: ACCENT,
          },
        ],
      },
      options: baseOptions({ horizontal: true, format: formatPercent }),
    },
    // The legend is under the figure now, not inside it.
    Math.max(90, rowsHeight(rows, 46, labelWidth(section.clientWidth)) + 50),
    { legend: true },
  );
}

function drawTimeline(section) {
  const rows = rowsOf(section);
  const labels = rows.map((row) => row.label);
  const stacked = section.hasAttribute("data-stacked") && rows.some((row) => row.parts.length);
  let datasets;
  if (stacked) {
    // The sectors with most cases get their own colour; the rest are stacked together as "Other".
    const totals = new Map();
    const names = new Map();
    for (const row of rows) {
      for (const [value, label, count] of row.parts) {
        totals.set(value, (totals.get(value) || 0) + count);
        names.set(value, label);
      }
    }
    const ranked = [...totals.keys()].sort((a, b) => totals.get(b) - totals.get(a) || a.localeCompare(b));
    const own = ranked.slice(0, SERIES_COLOURS.length);
    datasets = own.map((value, index) => ({
      label: names.get(value),
      data: rows.map((row) => (row.parts.find((part) => part[0] === value) || [0, 0, 0])[2]),
      backgroundColor: SERIES_COLOURS[index],
      borderColor: "#ffffff",
      borderWidth: 1,
    }));
    if (ranked.length > own.length) {
      datasets.push({
        label: gettext("Other sectors"),
        data: rows.map((row) =>
          row.parts.filter((part) => !own.includes(part[0])).reduce((sum, part) => sum + part[2], 0),
        ),
        backgroundColor: OTHER_COLOUR,
        borderColor: "#ffffff",
        borderWidth: 1,
      });
    }
  } else {
    datasets = [{ label: gettext("Cases"), data: rows.map((row) => row.count), backgroundColor: BRAND }];
  }
  return place(
    section,
    {
      type: "bar",
      data: { labels, datasets },
      options: baseOptions({
        horizontal: false,
        stacked,
        totals: stacked ? rows.map((row) => row.count) : undefined,
        // A stack counts a case once per sector; the printed total is the year's number of cases.
        valueTitle: stacked ? gettext("Cases per sector (total cases above each bar)") : gettext("Cases"),
      }),
    },
    stacked ? 340 : 300,
    { legend: stacked },
  );
}

// --- The map -------------------------------------------------------------------------------------

const atlases = new Map();
function loadAtlas(url) {
  if (!atlases.has(url)) {
    atlases.set(
      url,
      fetch(url).then((response) => {
        if (!response.ok) throw new Error(`map data: HTTP ${response.status}`);
        return response.json();
      }),
    );
  }
  return atlases.get(url);
}

function svgElement(name, attributes = {}, text) {
  const element = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, value);
  if (text !== undefined) element.textContent = text;
  return element;
}

function shadeBins(max) {
  // Up to five equal-width bins of whole numbers, from 1 to the largest count.
  const bins = Math.min(MAP_SHADES.length, Math.max(1, max));
  const width = Math.ceil(max / bins);
  return Array.from({ length: bins }, (_, index) => ({
    from: index * width + 1,
    to: Math.min(max, (index + 1) * width),
    colour: MAP_SHADES[Math.round((index * (MAP_SHADES.length - 1)) / Math.max(1, bins - 1))],
  })).filter((bin) => bin.from <= bin.to);
}

export async function drawMap(section) {
  const holder = section.querySelector(".chart__map");
  const d3 = window.d3;
  if (!holder || !d3 || !d3.geoPath || !window.topojson) return null;
  let topology;
  try {
    topology = await loadAtlas(holder.dataset.atlasUrl);
  } catch {
    return null; // the table (or the profile's text) still says it all
  }
  const codes = JSON.parse(holder.dataset.economyCodes || "{}");
  const members = new Set(JSON.parse(holder.dataset.apoMembers || "[]"));
  const memberNames = JSON.parse(holder.dataset.economyNames || "{}");
  const highlight = holder.dataset.highlight ? codes[holder.dataset.highlight] : null;
  const counts = new Map();
  for (const row of rowsOf(section)) {
    if (codes[row.value]) counts.set(codes[row.value], row);
  }
  const countries = window.topojson.feature(topology, topology.objects.countries).features;
  const byId = new Map(countries.map((feature) => [feature.id, feature]));
  const focus = [...new Set([...members, ...counts.keys()])];
  const focusShapes = focus
    .map((id) => byId.get(id) || (POINTS[id] && { type: "Feature", geometry: { type: "Point", coordinates: POINTS[id] } }))
    .filter(Boolean);

  const width = 960;
  const height = 460;
  const projection = d3.geoMercator().rotate([-110, 0]);
  projection.fitExtent(
    [
      [12, 12],
      [width - 12, height - 12],
    ],
    { type: "FeatureCollection", features: focusShapes.length ? focusShapes : countries },
  );
  const path = d3.geoPath(projection);
  const max = Math.max(0, ...[...counts.values()].map((row) => row.count));
  const bins = shadeBins(max);
  const shade = (count) => (bins.find((bin) => count >= bin.from && count <= bin.to) || bins.at(-1)).colour;

  const titleId = holder.querySelector(".chart__subtitle")?.id;
  const svg = svgElement("svg", {
    viewBox: `0 0 ${width} ${height}`,
    class: "map",
    role: "img",
    ...(titleId ? { "aria-labelledby": titleId } : {}),
  });
  const land = svgElement("g", { class: "map__countries" });
  const labels = svgElement("g", { class: "map__labels" });
  for (const feature of countries) {
    const id = feature.id;
    const row = counts.get(id);
    const isMember = members.has(id);
    let fill = MAP_OTHER;
    let className = "map__country";
    if (highlight) {
      if (id === highlight) {
        fill = BRAND;
        className += " map__country--highlight";
      } else if (isMember) fill = "#dbe7ee";
    } else if (row && row.count) fill = shade(row.count);
    else if (isMember) fill = MAP_EMPTY_MEMBER;
    if (isMember || row) className += " map__country--member";
    const shape = svgElement("path", { d: path(feature) || "", fill, class: className, "data-economy-code": id });
    // The economies with cases are named by the table, the members without by the page (both in the page's
    // language and the catalogue's spelling), other countries in the atlas's English (Natural Earth).
    const name = row ? economyCount(row) : memberNames[id] || feature.properties.name;
    shape.appendChild(svgElement("title", {}, name));
    land.appendChild(shape);
  }
  svg.appendChild(land);
  // Dots for economies too small for these outlines.
  for (const id of focus) {
    if (byId.has(id) || !POINTS[id]) continue;
    const [x, y] = projection(POINTS[id]);
    const row = counts.get(id);
    let fill = MAP_EMPTY_MEMBER;
    if (highlight) fill = id === highlight ? BRAND : "#dbe7ee";
    else if (row && row.count) fill = shade(row.count);
    const dot = svgElement("circle", {
      cx: x.toFixed(1),
      cy: y.toFixed(1),
      r: id === highlight ? 9 : 6,
      fill,
      class: `map__country map__country--member map__dot${id === highlight ? " map__country--highlight" : ""}`,
      "data-economy-code": id,
    });
    dot.appendChild(svgElement("title", {}, row ? economyCount(row) : id));
    svg.appendChild(dot);
  }
  // The figures themselves, printed on the map: the shading is never the only way to read it.
  const printed = highlight
    ? [[highlight, holder.dataset.highlightName || ""]]
    : [...counts.entries()].filter(([, row]) => row.count).map(([id, row]) => [id, formatNumber(row.count)]);
  for (const [id, text] of printed) {
    const feature = byId.get(id);
    const point = feature ? path.centroid(feature) : POINTS[id] && projection(POINTS[id]);
    if (!point || !Number.isFinite(point[0])) continue;
    const offset = feature ? 0 : 14;
    labels.appendChild(
      svgElement(
        "text",
        { x: (point[0] + offset).toFixed(1), y: point[1].toFixed(1), class: "map__label", "data-economy-code": id },
        text,
      ),
    );
  }
  svg.appendChild(labels);

  holder.querySelector("svg")?.remove();
  holder.querySelector(".map-legend")?.remove();
  holder.appendChild(svg);
  if (!highlight) holder.appendChild(legend(bins));
  holder.hidden = false;
  return svg;
}

function legend(bins) {
  const list = document.createElement("ul");
  list.className = "map-legend";
  const entries = [
    ...bins.map((bin) => [bin.colour, bin.from === bin.to ? formatNumber(bin.from) : formatRange(bin.from, bin.to)]),
    // Translators: the map's legend: the shade of an APO member economy with no cases.
    [MAP_EMPTY_MEMBER, gettext("0 (APO member)")],
    // Translators: the map's legend: the shade of an economy outside the APO.
    [MAP_OTHER, gettext("not an APO member")],
  ];
  for (const [colour, text] of entries) {
    const item = document.createElement("li");
    const swatch = document.createElementNS(SVG, "svg");
    swatch.setAttribute("viewBox", "0 0 14 14");
    swatch.setAttribute("aria-hidden", "true");
    swatch.setAttribute("class", "map-legend__swatch");
    swatch.appendChild(svgElement("rect", { x: 0.5, y: 0.5, width: 13, height: 13, fill: colour, stroke: "#4a5560" }));
    item.append(swatch, ` ${text}`);
    list.appendChild(item);
  }
  return list;
}

// --- Drawing a page ------------------------------------------------------------------------------

const DRAWERS = { bar: drawBars, comparison: drawComparison, timeline: drawTimeline };

export function drawSection(section) {
  const drawer = DRAWERS[section.dataset.chartKind];
  const chart = chartsAvailable() && drawer ? drawer(section) : null;
  if (section.querySelector(".chart__map")) drawMap(section);
  return chart;
}

export function drawCharts(root = document) {
  if (chartsAvailable()) {
    const defaults = window.Chart.defaults;
    defaults.font.family = 'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", Arial, sans-serif';
    defaults.color = INK;
  }
  for (const section of root.querySelectorAll("section[data-chart]")) {
    const drawn = drawSection(section);
    // Once the chart is there its table folds into the "Data table" toggle; without a chart it stays open.
    const details = section.querySelector("details.chart__data");
    if (drawn && details) details.open = false;
  }
}
