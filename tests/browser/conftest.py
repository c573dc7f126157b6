"""Browser tests: Debian's Chromium driven by Playwright against Django's live server, with axe-core."""

import os
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make between browser
# steps are still plain synchronous code, so Django's async-safety guard is lifted for these tests only.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
AXE_SOURCE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.2 level A and AA rules, as axe-core tags them.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
# ...and axe-core's best practices: not WCAG failures, but what an audit reports (a landmark inside another or
# two of one name, headings out of order, no h1, content outside any landmark). Issue 19.
BEST_PRACTICE_TAGS = [*WCAG_TAGS, "best-practice"]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Browser tests need Chromium at {CHROMIUM}: run 'apt-get install chromium' (make test does)."
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.js_errors = errors
    yield page
    context.close()


@pytest.fixture(scope="session")
def axe_source():
    if not AXE_SOURCE.exists():
        pytest.fail("axe-core is missing: run 'npm ci' (make test does).")
    return AXE_SOURCE.read_text(encoding="utf-8")


@pytest.fixture
def check_accessibility(axe_source):
    """Run axe-core's WCAG 2.2 A/AA rules (and its best practices with best_practice=True) on the current page
    and fail on any violation, of any impact."""

    def check(page, *, best_practice: bool = False):
        # Evaluated through the DevTools protocol, so the page's CSP (no inline scripts) does not block it.
        page.evaluate(axe_source)
        result = page.evaluate(
            "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
            BEST_PRACTICE_TAGS if best_practice else WCAG_TAGS,
        )
        violations = [
            f"{v['id']} ({v['impact']}): {v['help']} -> " + "; ".join(n["target"][0] for n in v["nodes"][:5])
            for v in result["violations"]
        ]
        assert violations == [], f"axe-core found on {page.url}:\n" + "\n".join(violations)

    return check


def tab_to(page, selector: str, *, max_presses: int = 250):
    """Press Tab until the element matching `selector` has focus, as a keyboard-only user would."""
    for _ in range(max_presses):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Could not reach {selector} with the Tab key")
