"""Exports stream in constant memory: the worker's peak memory after exporting 5% and 100% of 100,000 cases.

    .venv/bin/python bench/export.py [--cases 100000]

Starts one production-like gunicorn worker (bench/server.py) on the benchmark database, downloads
/api/v1/cases/export.csv and export.jsonl, first for one economy (a few thousand cases) and then for the
whole catalogue, and after each reads the worker's peak resident memory (VmHWM in /proc). If the export
held its rows in memory the peak would grow twentyfold from the small export to the whole one; streamed
a chunk at a time it stays flat.
"""

import argparse
import csv
import io
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pages import prepare_database
from server import gunicorn


def worker_peak_mb(master_pid: int) -> float:
    children = subprocess.run(
        ["pgrep", "-P", str(master_pid)], capture_output=True, text=True, check=True
    ).stdout.split()
    peaks = []
    for pid in children:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                peaks.append(int(line.split()[1]) / 1024)
    return max(peaks)


class CountingReader(io.RawIOBase):
    """The response body as a stream that counts its bytes on the way through."""

    def __init__(self, response):
        self.response, self.size = response, 0

    def readable(self):
        return True

    def readinto(self, buffer):
        chunk = self.response.read(len(buffer))
        buffer[: len(chunk)] = chunk
        self.size += len(chunk)
        return len(chunk)


def download(url: str, extension: str) -> tuple[int, int, float]:
    """Bytes and records of the body (CSV rows, which may span lines; JSON lines), and seconds taken,
    reading it as it streams."""
    start = time.perf_counter()
    with urllib.request.urlopen(url, timeout=600) as response:
        body = CountingReader(response)
        text = io.TextIOWrapper(io.BufferedReader(body, 1 << 16), encoding="utf-8", newline="")
        records = sum(1 for _ in csv.reader(text)) - 1 if extension == "csv" else sum(1 for _ in text)
    return body.size, records, time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/observatory_bench"),
    )
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13"))
    args = parser.parse_args()

    prepare_database(args.database_url, args.cases)
    runs = []
    with gunicorn(args.database_url, args.redis_url, workers=1, threads=1) as base:
        master = int(
            subprocess.run(
                ["pgrep", "-f", f"gunicorn.*{base.rsplit(':', 1)[1]}", "-o"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.split()[0]
        )
        urllib.request.urlopen(base + "/api/v1/cases/?page_size=100", timeout=60).read()
        print(f"{'export':38} {'rows':>7} {'MB':>7} {'seconds':>8} {'worker peak MB':>15}")
        print(f"{'(after one page of the API)':38} {'':>7} {'':>7} {'':>8} {worker_peak_mb(master):15.0f}")
        for extension in ("csv", "jsonl"):
            for label, query in (("one economy (SG)", "?economy=SG"), ("whole catalogue", "")):
                size, rows, seconds = download(f"{base}/api/v1/cases/export.{extension}{query}", extension)
                peak = worker_peak_mb(master)
                runs.append((extension, label, rows, size, seconds, peak))
                print(
                    f"{extension + ', ' + label:38} {rows:7} {size / 1e6:7.1f} {seconds:8.1f} {peak:15.0f}",
                    flush=True,
                )
    largest = max(run[5] for run in runs)
    print(
        f"Exported {sum(r[2] for r in runs)} rows in {len(runs)} downloads "
        f"({sum(r[3] for r in runs) / 1e6:.0f} MB); worker peak memory {largest:.0f} MB."
    )


if __name__ == "__main__":
    main()
