"""Weight and speed of the search results page, and of the public state of sharing, on
mobile data (issue #14).

The portal as the image runs it (bin/web build, then bin/web start: gunicorn, production
settings, hashed and compressed static files) over a database with the demo consortium and
catalogue (seed_demo). Chromium (/usr/bin/chromium, through Playwright) at a 412 x 915 phone
size opens /search/?q=... and /state-of-sharing/ in English and in Urdu and prints for each:

- first visit (empty cache): bytes transferred, headers included, in all and the Urdu
  font's share; everything but the font must fit in 40 KB, the whole page in 150 KB;
- second visit (the same page opened again): bytes transferred, at most 20 KB (static
  files come from the cache: hashed names, cached for ten years, immutable);
- largest contentful paint at 1.6 Mbps down, 150 ms latency (CDP
  Network.emulateNetworkConditions), empty cache, the median of three runs: under 2.5 s.

    python benchmarks/page_weight.py [--query "urdu literature"] [--db-url URL]

Exits non-zero when a figure is over its budget.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.run_all import SERVER, ensure_database  # noqa: E402

CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
PHONE = {"width": 412, "height": 915}
KB = 1024
BUDGET = {"first": 150 * KB, "first_without_font": 40 * KB, "second": 20 * KB, "lcp_ms": 2500}
# Mobile data outside the big cities (issue #14): 1.6 Mbps down, 750 kbps up, 150 ms round trip.
SLOW = {
    "offline": False,
    "latency": 150,
    "downloadThroughput": 1_600_000 / 8,
    "uploadThroughput": 750_000 / 8,
}
LCP_RUNS = 3
LCP = r"""() => new Promise((resolve) => {
  new PerformanceObserver((list) => {
    const entries = list.getEntries();
    const last = entries[entries.length - 1];
    const el = last.element;
    resolve([last.startTime, el ? `<${el.tagName.toLowerCase()}> ${(el.textContent || "").replace(/\s+/g, " ").trim().slice(0, 40)}` : "?"]);
  }).observe({type: "largest-contentful-paint", buffered: true});
})"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def production_env(db_url: str, redis_url: str, static_root: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "DEBUG")}
    env.update(
        PATH=f"{Path(sys.executable).parent}:{env.get('PATH', '/usr/bin:/bin')}",
        DJANGO_SETTINGS_MODULE="consortium.settings.production",
        DATABASE_URL=db_url,
        REDIS_URL=redis_url,
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        STATIC_ROOT=str(static_root),
        PORT=str(port),
        WEB_CONCURRENCY="2",
        # Plain HTTP on the loopback stands in for the TLS proxy; its redirect is beside the point.
        SECURE_SSL_REDIRECT="false",
    )
    return env


@contextlib.contextmanager
def portal(db_url: str, redis_url: str):
    """Migrate and seed the database, build the static files, start gunicorn; yield its URL."""
    with tempfile.TemporaryDirectory(prefix="page-weight-") as tmp:
        port = free_port()
        env = production_env(db_url, redis_url, Path(tmp) / "static", port)
        for argv in (["manage.py", "migrate", "-v0"], ["manage.py", "seed_demo", "--quiet-logins"]):
            subprocess.run([sys.executable, *argv], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
        subprocess.run(["bin/web", "build"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
        log = Path(tmp) / "gunicorn.log"
        with log.open("w") as sink:
            proc = subprocess.Popen(
                ["bin/web", "start"], cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    urllib.request.urlopen(url + "/search/", timeout=5).read()  # noqa: S310 - our own http://127.0.0.1
                    break
                except OSError:
                    if time.monotonic() > deadline or proc.poll() is not None:
                        raise SystemExit("gunicorn did not answer:\n" + log.read_text()[-3000:]) from None
                    time.sleep(0.5)
            yield url
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)


class Transfers:
    """Bytes each response took on the wire (CDP's encodedDataLength: headers and body)."""

    def __init__(self, cdp):
        self.urls: dict[str, str] = {}
        self.sizes: dict[str, int] = {}
        self.cached: set[str] = set()
        cdp.send("Network.enable")
        cdp.on("Network.responseReceived", self._response)
        cdp.on("Network.requestServedFromCache", lambda e: self.cached.add(e["requestId"]))
        cdp.on(
            "Network.loadingFinished",
            lambda e: self.sizes.__setitem__(e["requestId"], e["encodedDataLength"]),
        )

    def _response(self, event):
        self.urls[event["requestId"]] = event["response"]["url"]
        if event["response"].get("fromDiskCache") or event["response"].get("fromServiceWorker"):
            self.cached.add(event["requestId"])

    def reset(self):
        self.urls.clear()
        self.sizes.clear()
        self.cached.clear()

    def total(self) -> int:
        return sum(size for rid, size in self.sizes.items() if rid not in self.cached)

    def font(self) -> int:
        return sum(
            size for rid, size in self.sizes.items()
            if rid not in self.cached and self.urls.get(rid, "").endswith(".woff2")
        )  # fmt: skip

    def listing(self) -> list[str]:
        return [
            f"      {self.sizes.get(rid, 0):>7,} B  {'(cache) ' if rid in self.cached else ''}{url.split('/', 3)[-1]}"
            for rid, url in self.urls.items()
        ]


def measure(browser, url: str, language: str, verbose: bool) -> dict[str, float]:
    # A browser asking for Urdu first gets the Urdu pages (LocaleMiddleware), as a phone set to Urdu does.
    context = browser.new_context(viewport=PHONE, locale=language, is_mobile=True, has_touch=True)
    page = context.new_page()
    transfers = Transfers(context.new_cdp_session(page))
    page.goto(url, wait_until="networkidle")
    first, font = transfers.total(), transfers.font()
    if verbose:
        print(f"    first visit ({language}):", *transfers.listing(), sep="\n")
    transfers.reset()
    page.goto(url, wait_until="networkidle")
    second = transfers.total()
    if verbose:
        print(f"    second visit ({language}):", *transfers.listing(), sep="\n")
    context.close()

    paints = []
    for _ in range(LCP_RUNS):  # each with an empty cache; the median, as the machine is shared
        context = browser.new_context(viewport=PHONE, locale=language, is_mobile=True, has_touch=True)
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.emulateNetworkConditions", SLOW)
        page.goto(url, wait_until="networkidle", timeout=60_000)
        paints.append(page.evaluate(LCP))
        context.close()
    lcp_ms, element = sorted(paints)[len(paints) // 2]
    if verbose:
        print(f"    LCP runs ({language}): " + ", ".join(f"{ms / 1000:.2f} s {what}" for ms, what in paints))
    return {"first": first, "font": font, "second": second, "lcp_ms": lcp_ms, "lcp_element": element}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--query", default="urdu literature", help="what the search page looks for")
    parser.add_argument("--db-url", default=f"{SERVER}/ish_bench_weight")
    parser.add_argument("--verbose", action="store_true", help="list each response and its size")
    args = parser.parse_args()
    ensure_database(args.db_url)
    # Pages cache in Redis: an embedded one under var/ (never a shared server).
    from consortium import embedded

    redis_url = embedded.redis_url(name="redis-bench-weight")
    from playwright.sync_api import sync_playwright

    failed = []
    with portal(args.db_url, redis_url) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        pages = [
            ("search results page", f"{base}/search/?{urllib.parse.urlencode({'q': args.query})}"),
            # The public state of sharing keeps the search page's budget (evidence app).
            ("state of sharing", f"{base}/state-of-sharing/"),
        ]
        for language, (what, url) in ((lang, page) for page in pages for lang in ("en", "ur")):
            if language == "en":
                print(
                    f"{what} {url.split('/', 3)[-1]}, production settings, {PHONE['width']}x{PHONE['height']}"
                )
            r = measure(browser, url, language, args.verbose)
            print(
                f"  {language}: first visit {r['first'] / KB:.1f} KB"
                f" (font {r['font'] / KB:.1f} KB, the rest {(r['first'] - r['font']) / KB:.1f} KB);"
                f" second visit {r['second'] / KB:.1f} KB;"
                f" LCP at 1.6 Mbps/150 ms {r['lcp_ms'] / 1000:.2f} s ({r['lcp_element']})",
                flush=True,
            )
            checks = {
                "first": r["first"], "first_without_font": r["first"] - r["font"],
                "second": r["second"], "lcp_ms": r["lcp_ms"],
            }  # fmt: skip
            failed += [f"{what} {language} {name}" for name, value in checks.items() if value > BUDGET[name]]
        browser.close()
    embedded.stop_all()
    if failed:
        print("over budget: " + ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
