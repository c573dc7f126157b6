"""Take the README's screenshots of the site with Playwright and Debian's Chromium (no browser download).

    .venv/bin/python docs/img/take_screenshots.py                 # serves the demo catalogue itself
    .venv/bin/python docs/img/take_screenshots.py --url http://127.0.0.1:8000   # or shoots a running site

Without --url it migrates a throwaway SQLite database, loads the demo catalogue into it (`load_demo`),
serves it with `runserver` on a free port and stops it afterwards; nothing of the project's own database is
touched. It writes, in docs/img/:

- home.png, library.png, compare.png and stats.png: the home page, the case library, three cases side by
  side (/compare/) and the statistics, 1280 px wide;
- library-mobile.png: the case library on a phone, 390 px wide.

Each is one screenful (the window's height, not the whole page), reduced to 256 colours: a few hundred
kilobytes at most. Run it after a change the pictures should show, look at them, and commit them.
"""

import argparse
import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote

from PIL import Image
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(__file__).resolve().parent
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
# The comparison: the first three cases the library finds for these words (with the demo catalogue: digital
# identity in Singapore, India and Hong Kong), unless --compare names them.
COMPARE_SEARCH = "digital identity"

# (file, address, window, what to wait for before the picture is taken)
SHOTS = [
    ("home.png", "/", DESKTOP, "main h1"),
    ("library.png", "/cases/", DESKTOP, ".result-list"),
    ("library-mobile.png", "/cases/", PHONE, ".result-list"),
    ("compare.png", None, DESKTOP, ".compare-table"),
    ("stats.png", "/stats/", DESKTOP, "svg.map"),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        # Our own server's address, http only (S310).
        with contextlib.suppress(OSError), urllib.request.urlopen(f"{url}/healthz/", timeout=2):  # noqa: S310
            return
        time.sleep(0.5)
    raise SystemExit(f"The demo server did not answer at {url} within {seconds:.0f} s.")


@contextlib.contextmanager
def demo_server():
    """The demo catalogue on a throwaway SQLite database, served on a free port: yields its address."""
    with tempfile.TemporaryDirectory(prefix="observatory-screenshots-") as folder:
        env = os.environ | {"DATABASE_URL": f"sqlite:///{folder}/demo.sqlite3", "REDIS_URL": ""}
        manage = [sys.executable, str(ROOT / "manage.py")]
        for command in (["migrate", "--no-input"], ["load_demo"]):
            # Our own command lines (S603).
            subprocess.run([*manage, *command], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)  # noqa: S603
        port = free_port()
        server = subprocess.Popen(  # noqa: S603
            [*manage, "runserver", f"127.0.0.1:{port}", "--noreload"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            wait_until_up(url)
            yield url
        finally:
            server.terminate()
            server.wait(timeout=10)


def compared_cases(url: str) -> str:
    """Three cases to compare, found through the public API as a partner would."""
    address = f"{url}/api/v1/cases/?q={quote(COMPARE_SEARCH)}"
    with urllib.request.urlopen(address, timeout=10) as response:  # noqa: S310 (the site being shot)
        results = json.load(response)["results"]
    if len(results) < 2:
        raise SystemExit(f"The library finds fewer than two cases for {COMPARE_SEARCH!r}: use --compare.")
    return ",".join(case["slug"] for case in results[:3])


def save_small(path: Path, png: bytes) -> None:
    """The screenshot in 256 colours (a page of text and flat colours loses nothing to see)."""
    with tempfile.SpooledTemporaryFile() as raw:
        raw.write(png)
        raw.seek(0)
        image = Image.open(raw).convert("RGB")
        image.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)


def take(url: str, compare: str | None, only: set[str]) -> None:
    compare_path = f"/compare/?cases={compare or compared_cases(url)}"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            for name, path, window, ready in SHOTS:
                if only and name not in only:
                    continue
                context = browser.new_context(viewport=window, device_scale_factor=1, locale="en")
                page = context.new_page()
                page.goto(url + (path or compare_path))
                page.wait_for_load_state("networkidle")
                page.locator(ready).first.wait_for()
                page.wait_for_timeout(300)  # the charts' first frame
                save_small(OUT / name, page.screenshot(full_page=False))
                context.close()
                size = (OUT / name).stat().st_size
                shape = f"{window['width']} x {window['height']}"
                print(f"{OUT.relative_to(ROOT) / name}: {shape}, {size // 1024} KB")
        finally:
            browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="a running site, e.g. http://127.0.0.1:8000 (default: serve the demo)")
    parser.add_argument("--compare", help="the cases to compare, as slugs separated by commas")
    parser.add_argument("only", nargs="*", help="only these files (home.png, library.png, ...)")
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"No Chromium at {CHROMIUM}: 'apt-get install chromium', or set CHROMIUM_PATH.")
    only = set(args.only)
    if args.url:
        take(args.url.rstrip("/"), args.compare, only)
    else:
        with demo_server() as url:
            take(url, args.compare, only)


if __name__ == "__main__":
    main()
