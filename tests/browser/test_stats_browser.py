"""/stats/, an economy profile and /compare/ in headless Chromium: charts and the map drawn under the
strict CSP, filters redraw them from the public API, tables reachable by keyboard and without JavaScript,
axe clean."""

import re
from urllib.parse import parse_qsl, urlsplit

import pytest
from playwright.sync_api import expect

from cases.interchange.reference_data import load_reference_data
from cases.models import SDG, Economy, Sector, Theme
from tests.browser.conftest import tab_to
from tests.factories import CaseStudyFactory, OutcomeFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def catalogue(transactional_db):
    # Live-server tests flush the database after each test, reference data included: load it again.
    load_reference_data()
    health, education, transport = (
        Sector.objects.get(slug=slug) for slug in ("health", "education", "transport-infrastructure")
    )
    digital = Theme.objects.get(slug="digital-government")
    sg, jp, th = (Economy.objects.get(iso2=code) for code in ("SG", "JP", "TH"))
    # 12 cases: health in SG and TH only (6), education in JP (4), transport in SG (2).
    plan = [(sg, health)] * 3 + [(th, health)] * 3 + [(jp, education)] * 4 + [(sg, transport)] * 2
    cases = []
    for n, (economy, sector) in enumerate(plan):
        cases.append(
            CaseStudyFactory(
                title=f"{sector.name} case {n}",
                slug=f"case-{n}",
                economy=economy,
                sectors=[sector],
                themes=[digital],
                year_launched=2012 + n % 6,
            )
        )
    OutcomeFactory(case=cases[0])
    return cases


@pytest.fixture
def csp_violations(page):
    """Console reports of anything the Content Security Policy refused (inline script or style, eval...)."""
    violations = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return violations


def bars(page, chart: str) -> int:
    canvas = page.locator(f"#chart-{chart} canvas")
    canvas.wait_for()
    return page.evaluate("c => Chart.getChart(c).data.labels.length", canvas.element_handle())


def test_stats_page_draws_every_chart_and_the_map(page, catalogue, check_accessibility, csp_violations):
    page.goto("/stats/")
    page.locator("svg.map").wait_for()
    assert bars(page, "economy") == 3
    assert bars(page, "sector") == 3
    assert bars(page, "year") == 6
    assert bars(page, "theme") == 1
    # The map: every country outlined, Singapore (too small at this scale) a dot, counts printed on it.
    assert page.locator("svg.map path").count() > 100
    assert page.locator('svg.map circle[data-economy-code="702"]').count() == 1
    assert page.locator('svg.map text[data-economy-code="392"]').text_content() == "4"
    # Once drawn, each chart's table folds into its toggle.
    assert page.locator("#chart-sector details.chart__data").get_attribute("open") is None
    assert page.locator("#chart-sector canvas").is_visible()
    check_accessibility(page)
    assert page.js_errors == []
    assert csp_violations == []


def test_the_timeline_is_stacked_by_sector(page, catalogue):
    page.goto("/stats/")
    bars(page, "year")
    datasets = page.evaluate(
        "() => Chart.getChart(document.querySelector('#chart-year canvas')).data.datasets.map(d => d.label)"
    )
    assert sorted(datasets) == ["Education", "Health", "Transport and infrastructure"]


def test_changing_a_filter_redraws_the_charts_from_the_public_api(page, catalogue, check_accessibility):
    page.goto("/stats/")
    assert bars(page, "economy") == 3
    with page.expect_response(lambda response: "/api/v1/stats/?sector=health" in response.url):
        page.locator("#stats-sector").select_option("health")
    # (expect() waits without evaluating strings, which the page's CSP would refuse.)
    expect(page.locator("[data-figure=count]")).to_have_text("6")
    assert re.search(r"/stats/\?sector=health$", page.url)
    assert bars(page, "economy") == 2  # Singapore and Thailand
    assert bars(page, "sector") == 1
    assert page.locator("#chart-economy tbody tr").count() == 2
    link = page.locator("#chart-sector [data-library-link]")
    assert link.get_attribute("href") == "/cases/?sector=health"
    assert link.inner_text() == "See these 6 cases in the library"
    assert "6 case studies match" in page.locator("#stats-status").inner_text()

    with page.expect_response(lambda response: "/api/v1/stats/" in response.url):
        page.locator("#stats-year-from").fill("2015")
        page.locator("#stats-year-from").press("Enter")
    expect(page.locator("[data-figure=count]")).to_have_text("3")
    assert "year_from=2015" in page.url
    check_accessibility(page)
    assert page.js_errors == []


def table_rows(page):
    """Each chart's rows as (label, the library query its link gives, or None), by the chart's parameter."""
    sections = page.evaluate(
        """() => [...document.querySelectorAll("section[data-parameter]")].map((section) => [
          section.dataset.parameter,
          [...section.querySelectorAll("tbody th")].map((th) => [
            th.textContent.trim(), th.querySelector("a")?.getAttribute("href") ?? null,
          ]),
        ])"""
    )
    return {
        parameter: [
            (label, None if href is None else sorted(parse_qsl(urlsplit(href).query))) for label, href in rows
        ]
        for parameter, rows in sections
    }


def test_redrawn_tables_label_and_link_rows_as_the_server_does(page, catalogue):
    """The script takes from the page which parameters are many-valued and which labels are numbered."""
    catalogue[0].sectors.add(Sector.objects.get(slug="education"))
    catalogue[0].sdgs.set([SDG.objects.get(number=3)])
    page.goto("/stats/?sector=health")
    bars(page, "economy")
    served = table_rows(page)
    page.goto("/stats/")
    bars(page, "economy")
    with page.expect_response(lambda response: "/api/v1/stats/?sector=health" in response.url):
        page.locator("#stats-sector").select_option("health")
    expect(page.locator("[data-figure=count]")).to_have_text("6")
    redrawn = table_rows(page)
    assert redrawn == served
    assert [label for label, _query in redrawn["sdg"]] == ["3. Good health and well-being"]
    # Under sector=health the library cannot give the cases in health AND education: no link.
    assert dict(redrawn["sector"])["Education"] is None
    assert dict(redrawn["sector"])["Health"] == [("sector", "health")]


def test_data_tables_open_and_are_reached_by_keyboard(page, catalogue):
    page.goto("/stats/")
    bars(page, "sector")
    tab_to(page, "#chart-sector summary")
    page.keyboard.press("Enter")
    table = page.locator("#chart-sector table")
    assert table.is_visible()
    assert table.locator("caption").inner_text() == "Cases by sector"
    tab_to(page, "#chart-sector .table-wrap")
    tab_to(page, '#chart-sector a[href="/cases/?sector=health"]')


def test_without_javascript_the_tables_are_shown(browser, live_server, catalogue):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    page.goto("/stats/?economy=SG")
    table = page.locator("#chart-sector table")
    assert table.is_visible()
    assert table.locator("tbody tr").count() == 2
    assert not page.locator("#chart-sector canvas").is_visible()
    context.close()


def test_economy_profile_draws_its_charts_and_marks_the_map(
    page, catalogue, check_accessibility, csp_violations
):
    page.goto("/economies/singapore/")
    page.locator("svg.map").wait_for()
    assert page.locator(".map__country--highlight").count() == 1
    assert bars(page, "sector") == 3  # health, transport (Singapore) and education (elsewhere in the APO)
    datasets = page.evaluate(
        "() => Chart.getChart(document.querySelector('#chart-sector canvas')).data.datasets.map(d => d.data)"
    )
    assert datasets == [[60, 40, 0], [50, 16.7, 33.3]]
    # Five cases: listed by year, not charted as bars of one (issue 19); charts.js leaves the list alone.
    years = page.locator("#chart-year .year-list__label")
    expect(years).to_have_text(["2012", "2013", "2014", "2016", "2017"])
    assert page.locator("#chart-year canvas").count() == 0
    check_accessibility(page)
    assert page.js_errors == []
    assert csp_violations == []


def test_economy_profile_with_enough_cases_charts_its_years(page, catalogue, check_accessibility):
    singapore = Economy.objects.get(iso2="SG")
    for n in range(5):
        CaseStudyFactory(slug=f"more-{n}", economy=singapore, year_launched=2012 + n % 3)
    page.goto("/economies/singapore/")
    assert bars(page, "year") == 6  # 2012 to 2017: 2015, without cases, is a bar of 0
    assert page.locator("#chart-year .year-list").count() == 0
    check_accessibility(page)
    assert page.js_errors == []


def test_compare_cases_picked_from_the_library(page, catalogue, check_accessibility):
    page.goto("/cases/")
    first = page.locator('[data-compare-slug="case-0"]')
    second = page.locator('[data-compare-slug="case-6"]')
    first.click()
    second.click()
    assert first.get_attribute("aria-pressed") == "true"
    go = page.locator("[data-compare-go]")
    assert go.inner_text() == "Compare these 2 cases"
    check_accessibility(page)
    go.click()
    page.wait_for_url(re.compile(r"/compare/\?cases=case-0,case-6$"))
    assert page.locator(".compare-table thead th").count() == 2
    assert page.locator(".compare-table tbody th", has_text="Sectors").is_visible()
    check_accessibility(page)
    # The list survives a new page: the case page shows the case as chosen.
    page.goto("/cases/case-6/")
    assert page.locator('[data-compare-slug="case-6"]').get_attribute("aria-pressed") == "true"
    assert page.js_errors == []


def test_compare_page_with_problems_passes_axe(page, catalogue, check_accessibility):
    page.goto("/compare/?cases=case-0,case-0,nope")
    assert "was listed more than once" in page.locator("#compare-messages").inner_text()
    check_accessibility(page)


@pytest.mark.parametrize("path", ["/stats/", "/economies/singapore/", "/compare/?cases=case-0,case-6,case-7"])
def test_charts_pages_are_usable_at_320_pixels(page, catalogue, check_accessibility, path):
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto(path)
    page.wait_for_load_state("networkidle")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 320, f"{path} scrolls sideways at 320 px ({width} px wide)"
    check_accessibility(page)


# --- The timeline's empty years, its figures and long names (issue 19) ---------------------------

LONG_SECTOR = "Public order, safety, justice and human rights"


@pytest.fixture
def gapped_catalogue(transactional_db):
    """Cases launched in 2012, 2015 and 2016 only: 2013 and 2014 have none."""
    load_reference_data()
    health, education, public_order = (
        Sector.objects.get(slug=slug) for slug in ("health", "education", "public-order-safety-justice")
    )
    sg, jp, th = (Economy.objects.get(iso2=code) for code in ("SG", "JP", "TH"))
    plan = [(sg, health, 2012)] * 3 + [(sg, public_order, 2012), (jp, health, 2015), (jp, health, 2015)]
    plan += [(th, education, 2016)]
    for n, (economy, sector, year) in enumerate(plan):
        CaseStudyFactory(slug=f"case-{n}", economy=economy, sectors=[sector], year_launched=year)


# The texts the chart draws on its canvas, with the colour each is drawn in.
DRAWN_TEXTS = """canvas => {
  const chart = Chart.getChart(canvas);
  const drawn = [];
  const fillText = chart.ctx.fillText;
  chart.ctx.fillText = function (text, ...rest) {
    drawn.push([String(text), this.fillStyle]);
    return fillText.call(this, text, ...rest);
  };
  chart.draw();
  chart.ctx.fillText = fillText;
  return drawn;
}"""


def timeline(page):
    canvas = page.locator("#chart-year canvas")
    canvas.wait_for()
    return page.evaluate(
        "c => { const chart = Chart.getChart(c); return [chart.data.labels,"
        " chart.options.plugins.valueLabels.totals]; }",
        canvas.element_handle(),
    )


def test_years_without_cases_are_zero_bars_on_the_timeline_and_rows_of_its_table(page, gapped_catalogue):
    page.goto("/stats/")
    labels, totals = timeline(page)
    assert labels == ["2012", "2013", "2014", "2015", "2016"]
    assert totals == [4, 0, 0, 2, 1]
    rows = page.locator("#chart-year tbody tr")
    assert rows.count() == 5
    assert rows.nth(1).locator("td").first.text_content() == "0"
    assert rows.nth(1).locator("th a").count() == 0  # no link to an empty page of results
    assert page.js_errors == []


def test_the_timeline_prints_each_total_and_the_segments_that_fit(page, gapped_catalogue):
    page.goto("/stats/")
    timeline(page)
    drawn = page.evaluate(DRAWN_TEXTS, page.locator("#chart-year canvas").element_handle())
    inside = [text for text, colour in drawn if colour == "#ffffff"]
    above = [text for text, colour in drawn if colour != "#ffffff"]
    assert "3" in inside  # 2012's three health cases, printed in their segment
    assert "4" in above  # 2012's total
    assert above.count("0") >= 3  # the axis's 0, and 2013's and 2014's totals


def test_a_redrawn_timeline_keeps_its_years_without_cases(page, gapped_catalogue):
    page.goto("/stats/")
    timeline(page)
    with page.expect_response(lambda response: "/api/v1/stats/?sector=health" in response.url):
        page.locator("#stats-sector").select_option("health")
    expect(page.locator("[data-figure=count]")).to_have_text("5")
    labels, totals = timeline(page)
    assert labels == ["2012", "2013", "2014", "2015"]
    assert totals == [3, 0, 0, 2]
    assert page.locator("#chart-year tbody tr").nth(2).locator("th a").count() == 0
    assert page.js_errors == []


def test_a_long_name_is_wrapped_on_the_axis_and_whole_in_the_tooltip_and_table(page, gapped_catalogue):
    page.goto("/stats/")
    canvas = page.locator("#chart-sector canvas")
    canvas.wait_for()
    ticks = page.evaluate("c => Chart.getChart(c).scales.y.ticks.map(t => t.label)", canvas.element_handle())
    (wrapped,) = [lines for lines in ticks if len(lines) > 1]
    assert " ".join(wrapped) == LONG_SECTOR
    # Pointing at its bar shows the whole name.
    index = page.evaluate(
        "([c, name]) => Chart.getChart(c).data.labels.indexOf(name)", [canvas.element_handle(), LONG_SECTOR]
    )
    x, y = page.evaluate(
        "([c, i]) => { const bar = Chart.getChart(c).getDatasetMeta(0).data[i]; return [bar.x - 4, bar.y]; }",
        [canvas.element_handle(), index],
    )
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + x, box["y"] + y)
    expect(page.locator("#chart-sector .chart__tooltip strong")).to_have_text(LONG_SECTOR)
    assert page.locator("#chart-sector tbody th", has_text=LONG_SECTOR).count() == 1


def test_the_map_names_a_member_without_cases_as_the_catalogue_does(page, catalogue):
    page.goto("/stats/")
    page.locator("svg.map").wait_for()
    # Viet Nam has no case here: named by the page, not by the atlas's English ("Vietnam").
    assert page.locator('svg.map path[data-economy-code="704"] title').text_content() == "Viet Nam"


# --- Legends and axis labels: long names wrap, never cut, at 1280 and 320 px (issue 19) ---------------

# Each legend entry's box, the width of its name's box and of the text in it, and the section's box.
LEGEND_BOXES = """section => [...section.querySelectorAll('.chart-legend li')].map(li => {
  const name = li.lastElementChild;
  const lineHeight = parseFloat(getComputedStyle(name).lineHeight);
  return {
    text: li.textContent,
    box: li.getBoundingClientRect().toJSON(),
    lines: Math.round(name.getBoundingClientRect().height / lineHeight),
    overflow: name.scrollWidth - name.clientWidth,
    section: section.getBoundingClientRect().toJSON(),
  };
})"""

# The widest line of a horizontal chart's labels, as drawn in its tick font, and the width its axis has.
AXIS_LABELS = """canvas => {
  const chart = Chart.getChart(canvas);
  const scale = chart.scales.y;
  const ctx = chart.ctx;
  ctx.save();
  ctx.font = Chart.helpers.toFont(scale.options.ticks.font).string;
  const lines = scale.ticks.flatMap(tick => [].concat(tick.label));
  const widest = Math.max(...lines.map(line => ctx.measureText(line).width));
  ctx.restore();
  return {widest, axis: scale.width, left: scale.left, lines};
}"""


@pytest.mark.parametrize("width", [1280, 320])
def test_the_stacked_charts_legend_wraps_long_names_within_the_chart(page, gapped_catalogue, width):
    page.set_viewport_size({"width": width, "height": 800})
    page.goto("/stats/")
    timeline(page)
    section = page.locator("#chart-year")
    entries = page.evaluate(LEGEND_BOXES, section.element_handle())
    assert {entry["text"] for entry in entries} == {"Health", "Education", LONG_SECTOR}
    for entry in entries:
        assert entry["overflow"] <= 0, entry  # never cut
        assert entry["box"]["left"] >= entry["section"]["left"] - 0.5, entry
        assert entry["box"]["right"] <= entry["section"]["right"] + 0.5, entry
    # Entries never overlap one another.
    boxes = [entry["box"] for entry in entries]
    for n, one in enumerate(boxes):
        for other in boxes[n + 1 :]:
            apart = one["right"] <= other["left"] or other["right"] <= one["left"]
            assert apart or one["bottom"] <= other["top"] or other["bottom"] <= one["top"], (one, other)
    (long_entry,) = [entry for entry in entries if entry["text"] == LONG_SECTOR]
    assert long_entry["lines"] == (1 if width == 1280 else 2)  # on a narrow screen it wraps
    # The key is for the eye: the table gives screen readers every name and figure.
    assert page.locator("#chart-year .chart-legend").get_attribute("aria-hidden") == "true"
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert page.js_errors == []


@pytest.mark.parametrize("width", [1280, 320])
def test_a_profiles_comparison_charts_have_a_legend_and_whole_axis_labels(page, gapped_catalogue, width):
    page.set_viewport_size({"width": width, "height": 800})
    page.goto("/economies/singapore/")
    canvas = page.locator("#chart-sector canvas")
    canvas.wait_for()
    entries = page.evaluate(LEGEND_BOXES, page.locator("#chart-sector").element_handle())
    assert [entry["text"] for entry in entries] == ["Share in Singapore", "Share in all APO economies"]
    assert all(entry["overflow"] <= 0 for entry in entries)
    labels = page.evaluate(AXIS_LABELS, canvas.element_handle())
    # Every line of every name fits its axis (it was cut at the canvas's left edge at 320 px)...
    assert labels["widest"] <= labels["axis"], labels
    assert labels["left"] >= 0
    # ... and the long name is all there, over several lines.
    assert LONG_SECTOR in [" ".join(lines) for lines in _label_groups(page, canvas)]
    assert page.js_errors == []


def _label_groups(page, canvas):
    return page.evaluate(
        "c => Chart.getChart(c).scales.y.ticks.map(t => [].concat(t.label))", canvas.element_handle()
    )


def test_the_timelines_totals_never_overlap_at_320_pixels(page, catalogue):
    page.set_viewport_size({"width": 320, "height": 700})
    # Cases decades apart: 60-odd thin bars, most of them zeros.
    for n, year in enumerate([1960, 1961, 1999, 2000, 2001]):
        CaseStudyFactory(slug=f"old-{n}", year_launched=year)
    page.goto("/stats/")
    canvas = page.locator("#chart-year canvas")
    canvas.wait_for()
    boxes = page.evaluate(
        """canvas => {
          const chart = Chart.getChart(canvas);
          const boxes = [];
          const fillText = chart.ctx.fillText;
          chart.ctx.fillText = function (text, x, y) {
            const total = this.textAlign === "center" && this.textBaseline === "bottom";
            if (total && this.fillStyle !== "#ffffff") {
              const half = this.measureText(String(text)).width / 2;
              boxes.push({text: String(text), left: x - half, right: x + half, top: y - 12, bottom: y});
            }
            return fillText.apply(this, arguments);
          };
          chart.draw();
          chart.ctx.fillText = fillText;
          return boxes;
        }""",
        canvas.element_handle(),
    )
    assert boxes
    for n, one in enumerate(boxes):
        for other in boxes[n + 1 :]:
            apart = one["right"] <= other["left"] or other["right"] <= one["left"]
            assert apart or one["bottom"] <= other["top"] or other["bottom"] <= one["top"], (one, other)
    # Years with cases are printed first: a zero gives way to them. What gives way is in the table.
    printed = [int(box["text"]) for box in boxes]
    assert any(printed)
    labels, totals = timeline(page)
    assert page.locator("#chart-year tbody tr").count() == len(labels) == len(totals)
