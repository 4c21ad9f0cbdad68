"""`sitegen serve` end to end: a real server process on a free port, real edits on disk,
raw HTTP for the server's rules, and Debian's Chromium (through Playwright) for live reload."""

from __future__ import annotations

import http.client
import json
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Callable

import pytest

from conftest import ROOT, article_md, default_sigint, sigint_blocked, write_files
from sitegen.themes import theme_dir
from sitegen.serve import inject, locate

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
TIMEOUT = 20.0


def wait_for(condition: Callable[[], object], timeout: float = TIMEOUT, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what or condition}")


class Served:
    """`python -m sitegen serve SITE --port 0 ...` as a child process."""

    def __init__(self, site: Path, *args: str):
        self.site = site
        self.proc = subprocess.Popen([sys.executable, "-m", "sitegen", "serve", str(site), "--port", "0", *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                     preexec_fn=default_sigint)
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        wait_for(lambda: self.url or self.proc.poll() is not None, what="the printed URL")
        assert self.url, self.output
        self.port = int(re.search(r":(\d+)/", self.url).group(1))  # type: ignore[union-attr]
        wait_for(lambda: self.status()["builds"] >= 1, what="the first build")

    def _read(self) -> None:
        for line in iter(self.proc.stdout.readline, ""):  # type: ignore[union-attr]
            self.lines.append(line.rstrip("\n"))

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    @property
    def url(self) -> str:
        for line in self.lines:
            if found := re.search(r"(http://127\.0\.0\.1:\d+/\S*)", line):
                return found.group(1)
        return ""

    def get(self, path: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT)
        try:
            connection.request(method, path)
            response = connection.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        finally:
            connection.close()

    def status(self) -> dict:
        return json.loads(self.get("/__sitegen__/status")[2])

    def wait_builds(self, count: int) -> dict:
        wait_for(lambda: self.status()["builds"] >= count, what=f"build {count}; output:\n{self.output}")
        return self.status()

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            return self.proc.wait(timeout=10)
        finally:
            self._reader.join(timeout=5)


@pytest.fixture
def serve():
    started: list[Served] = []

    def start(site: Path, *args: str) -> Served:
        started.append(Served(site, *args))
        return started[-1]

    yield start
    for served in started:
        try:
            served.stop()  # Ctrl-C, so the private temporary folder goes too
        finally:
            if served.proc.poll() is None:
                served.proc.kill()
                served.proc.wait()


ARTICLE_URL = "/2024/07/04/the-story/"


@pytest.fixture
def news(site):
    """A small site with its own stylesheet, article template, 404 page and a draft."""
    return site({
        "content/2024/story.md": article_md("Original headline", "2024-07-04T09:00:00Z", slug="the-story"),
        "content/2024/other.md": article_md("Another story", "2024-07-03T09:00:00Z", section="Business"),
        "content/2024/draft.md": article_md("Work in progress", "2024-07-05T09:00:00Z", draft="true"),
        "content/2024/chart.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>",
        "static/css/site.css": "h1 { color: rgb(10, 20, 30); }\n",
        "static/site.webmanifest": "{}",
        "static/404.html": "<!doctype html><title>Lost</title><body><h1>Nothing here</h1></body>",
        "templates/article.html": (theme_dir("templates") / "article.html").read_text(encoding="utf-8"),
    })


# --- the server's rules, without a browser -------------------------------------------------

def test_locate_keeps_every_request_inside_the_output(tmp_path):
    root = tmp_path / "out"
    write_files(root, {"index.html": "home", "a/index.html": "a", "a/b.css": "b"})
    (root / "up").symlink_to("/etc")
    (root / "passwd").symlink_to("/etc/passwd")
    (root / "inside.css").symlink_to(root / "a/b.css")
    assert locate("/", root).file == (root / "index.html").resolve()
    assert locate("/a/?x=1", root).file == (root / "a/index.html").resolve()
    assert locate("/a?x=1", root).location == "/a/?x=1"
    assert locate("/a/b.css", root).file == (root / "a/b.css").resolve()
    assert locate("/inside.css", root).status == 200
    for target in ("/../etc/passwd", "/a/../../etc/passwd", "/%2e%2e/etc/passwd", "/a/%2E%2E/%2e%2e/x",
                   "/..%2fetc%2fpasswd", "/a%2fb.css", "/a\\b.css", "/..%5c..%5cetc", "/a/b.css%00",
                   "//etc/passwd", "/a//b.css", "/./index.html", "etc/passwd", "http://x/../etc/passwd", "/%ff"):
        assert locate(target, root).status == 404, target
    for target in ("/up/passwd", "/up/", "/passwd"):
        assert locate(target, root).status == 403, target


def test_locate_serves_a_site_under_its_base_path(tmp_path):
    root = write_files(tmp_path / "out", {"index.html": "home", "css/site.css": "x"})
    assert locate("/", root, "/archive/").location == "/archive/"
    assert locate("/archive", root, "/archive/").location == "/archive/"
    assert locate("/archive/", root, "/archive/").file == (root / "index.html").resolve()
    assert locate("/archive/css/site.css", root, "/archive/").status == 200
    assert locate("/css/site.css", root, "/archive/").status == 404


def test_inject_adds_the_script_before_the_end_of_the_body():
    assert inject(b"<html><body><p>x</p></BODY></html>", 3) == (
        b'<html><body><p>x</p><script src="/__sitegen__/live.js" data-version="3"></script></BODY></html>')
    assert inject(b"<p>fragment", 1).endswith(b"</script>")


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads threads' signal masks in /proc")
def test_only_the_main_thread_of_serve_takes_a_ctrl_c(news, serve):
    """Every thread of a serving process but the main one (the HTTP server's, each request's, the
    watcher's, OpenBLAS's) blocks SIGINT, so a Ctrl-C is the main thread's, which holds it back while a build
    forks (forked.interrupts_held): taken by another thread then, it was dropped."""
    served = serve(news)
    served.get(ARTICLE_URL)  # (a request thread, gone again, started by the server's)
    blocked = {int(task.name): sigint_blocked(served.proc.pid, int(task.name))
               for task in Path(f"/proc/{served.proc.pid}/task").iterdir()}
    assert len(blocked) >= 3  # the main thread, the server's, the watcher's
    assert not blocked.pop(served.proc.pid)
    assert all(blocked.values()), blocked


def test_pages_types_folders_and_404(news, serve):
    served = serve(news)
    status, headers, body = served.get(ARTICLE_URL)
    assert status == 200 and headers["content-type"] == "text/html; charset=utf-8"
    assert b"Original headline" in body and b'<script src="/__sitegen__/live.js"' in body
    assert int(headers["content-length"]) == len(body)
    status, headers, body = served.get("/2024/07/05/work-in-progress/")  # drafts are shown under serve
    assert status == 200 and b"Draft" in body
    for path, kind in (("/css/site.css", "text/css; charset=utf-8"), ("/2024/chart.svg", "image/svg+xml"),
                       ("/site.webmanifest", "application/manifest+json"), ("/404.html", "text/html; charset=utf-8")):
        status, headers, body = served.get(path)
        assert (status, headers["content-type"]) == (200, kind), path
        assert b"__sitegen__" not in body or kind.startswith("text/html")
    status, headers, _ = served.get("/2024/07/04/the-story?x=1")
    assert status == 302 and headers["location"] == "/2024/07/04/the-story/?x=1"
    status, headers, body = served.get("/no/such/page/")
    assert status == 404 and b"Nothing here" in body and b"/__sitegen__/live.js" in body
    status, headers, body = served.get(ARTICLE_URL, method="HEAD")
    assert status == 200 and body == b"" and int(headers["content-length"]) > 0
    assert served.status() == {"version": 1, "builds": 1, "error": "", "failed": False}
    assert "1 draft" not in served.output and "Serving the site at" in served.output
    assert served.stop() in (0, 130)


def test_path_escapes_get_404_or_403_and_nothing_outside(news, serve, tmp_path):
    out = tmp_path / "out"
    served = serve(news, "-o", str(out))
    (out / "etc").symlink_to("/etc")
    (out / "secret.txt").symlink_to("/etc/passwd")
    (tmp_path / "private.txt").write_text("root:x:0:0 private")
    (out / "mine.txt").symlink_to(tmp_path / "private.txt")
    targets = ["/../../../../etc/passwd", "/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd", "/..%2f..%2f..%2fetc%2fpasswd",
               "/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd", "/css/..%5c..%5c..%5cetc%5cpasswd",
               "/..\\..\\..\\etc\\passwd", "/css/%2E%2E/%2E%2E/%2E%2E/etc/passwd", "/%252e%252e/etc/passwd",
               "/etc/passwd", "/secret.txt", "/mine.txt", "/../private.txt", "//etc/passwd", "/css/site.css%00.html"]
    for target in targets:
        with socket.create_connection(("127.0.0.1", served.port), timeout=TIMEOUT) as raw:
            raw.sendall(f"GET {target} HTTP/1.0\r\nHost: localhost\r\n\r\n".encode())
            response = b""
            while chunk := raw.recv(65536):
                response += chunk
        status = int(response.split(b" ", 2)[1])
        assert status in (400, 403, 404), (target, response[:200])
        assert b"root:x:0" not in response, target
    assert served.get("/css/site.css")[0] == 200  # the site itself is still served


def test_a_site_with_a_sub_path_is_served_under_it(site, serve):
    root = site({"sitegen.yaml": "base_url: https://example.org/archive/\n",
                 "content/a.md": article_md("One", "2024-01-02", slug="one")})
    served = serve(root)
    assert served.url.endswith("/archive/")
    status, headers, _ = served.get("/")
    assert status == 302 and headers["location"] == "/archive/"
    status, _, body = served.get("/archive/")
    assert status == 200 and b'href="/archive/2024/01/02/one/"' in body
    assert served.get("/archive/2024/01/02/one/")[0] == 200
    assert served.get("/archive/css/site.css")[0] == 200
    assert served.get("/2024/01/02/one/")[0] == 404


def test_a_busy_port_is_a_clear_error(news):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        run = subprocess.run([sys.executable, "-m", "sitegen", "serve", str(news), "--port", str(port)],
                             capture_output=True, text=True, timeout=60)
    assert run.returncode == 2
    assert f"sitegen: error: port {port} on 127.0.0.1 is already in use" in run.stderr


def test_a_burst_of_200_writes_gives_one_rebuild(news, serve):
    served = serve(news)
    burst = news / "content/burst"
    burst.mkdir()
    for i in range(200):
        (burst / f"{i:03d}.md").write_text(article_md(f"Burst {i}", "2024-06-01"), encoding="utf-8")
    state = served.wait_builds(2)
    time.sleep(1.0)  # time for a (wrong) second rebuild to show up
    assert served.status()["builds"] == 2 == state["builds"]
    rebuilt = [line for line in served.lines if line.startswith("rebuilt")]
    assert len(rebuilt) == 1 and "203 articles" in rebuilt[0], served.output  # 3 + 200: all in the one build
    assert served.get("/2024/06/01/burst-199/")[0] == 200


def test_ctrl_c_stops_quickly_and_leaves_nothing_behind(news, serve, tmp_path):
    served = serve(news)
    private = Path(re.search(r"temporary folder \((\S+)\)", served.output).group(1))  # type: ignore[union-attr]
    assert (private / "index.html").is_file()
    events = http.client.HTTPConnection("127.0.0.1", served.port, timeout=TIMEOUT)  # a listening browser
    events.request("GET", "/__sitegen__/events")
    stream = events.getresponse()
    assert stream.status == 200 and stream.getheader("Content-Type") == "text/event-stream"
    idle = socket.create_connection(("127.0.0.1", served.port))  # a client that never sends a request
    try:
        time.sleep(0.2)
        started = time.monotonic()
        assert served.stop() in (0, 130)
        assert time.monotonic() - started < 5
    finally:
        idle.close()
        events.close()
    assert not private.parent.exists()
    assert not list(news.glob(".sitegen-public*")) and not (news / "public").exists()
    assert (news / ".sitegen-cache").is_dir()  # the parsed articles stay for the next session...
    assert not list((news / ".sitegen-cache").glob("output-*"))  # ...the gone folder's manifest does not


def test_ctrl_c_leaves_a_chosen_output_folder_whole(news, serve, tmp_path):
    out = tmp_path / "out"
    served = serve(news, "-o", str(out))
    assert served.stop() in (0, 130)
    assert (out / "index.html").is_file() and (out / ARTICLE_URL.strip("/") / "index.html").is_file()
    assert b"__sitegen__" not in (out / "index.html").read_bytes()  # the script never lands on disk
    assert not list(tmp_path.glob(".sitegen-out*"))


def test_readme_and_help_document_the_serve_options():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "sitegen", "serve", "--help"], capture_output=True, text=True)
    for option in ("--host", "--port", "--output"):
        assert option in run.stdout and f"`{option}" in readme, option
    assert "sitegen serve" in readme and "`--watch`" in readme


# --- live reload in a real browser --------------------------------------------------------

@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed at /usr/bin/chromium (CI installs it: apt-get install chromium)")
    from playwright.sync_api import sync_playwright  # in the test extra; drives Debian's chromium

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    context.set_default_timeout(TIMEOUT * 1000)
    yield context.new_page()
    context.close()


def connected(page) -> None:
    """Wait until the page's live-reload script has the server's first message."""
    page.wait_for_function("() => window.sitegenLive && window.sitegenLive.connected")


def test_an_edit_reloads_the_open_page_with_the_new_headline(news, serve, page):
    served = serve(news)
    page.goto(served.url.rstrip("/") + ARTICLE_URL)
    assert page.inner_text("h1") == "Original headline"
    connected(page)
    write_files(news, {"content/2024/story.md": article_md("Fresh headline", "2024-07-04T09:00:00Z", slug="the-story")})
    page.wait_for_function("() => document.querySelector('h1').textContent === 'Fresh headline'")
    assert page.query_selector("#sitegen-overlay") is None


def test_a_stylesheet_edit_swaps_it_without_a_reload(news, serve, page):
    served = serve(news)
    page.goto(served.url.rstrip("/") + ARTICLE_URL)
    connected(page)
    color = "() => getComputedStyle(document.querySelector('h1')).color"
    assert page.evaluate(color) == "rgb(10, 20, 30)"
    page.evaluate("() => { window.sitegenMarker = 42; }")
    write_files(news, {"static/css/site.css": "h1 { color: rgb(200, 0, 0); }\n"})
    page.wait_for_function(f"() => ({color[6:]}) === 'rgb(200, 0, 0)'")
    assert page.evaluate("() => window.sitegenMarker") == 42  # the same page: no reload
    assert "sitegen=" in page.get_attribute('link[rel="stylesheet"]', "href")
    assert served.status()["version"] == 2


def test_a_failed_build_shows_an_overlay_keeps_the_old_site_and_the_fix_removes_it(news, serve, page):
    served = serve(news)
    page.goto(served.url.rstrip("/") + ARTICLE_URL)
    connected(page)
    template = news / "templates/article.html"
    good = template.read_text(encoding="utf-8")
    template.write_text(good.replace("{% block content %}", "{% block content %}\n{% if %}", 1), encoding="utf-8")
    line = good.splitlines().index("{% block content %}") + 2
    overlay = page.wait_for_selector("#sitegen-overlay")
    text = overlay.inner_text()
    assert f"templates/article.html:{line}: error: template syntax error" in text
    assert "build failed" in text
    assert any(f"templates/article.html:{line}: error" in out for out in served.lines)
    status, _, body = served.get(ARTICLE_URL)  # the last good site is still served
    assert status == 200 and b"Original headline" in body
    second = page.context.new_page()  # a page opened meanwhile shows the overlay too
    second.goto(served.url.rstrip("/") + "/")
    assert "template syntax error" in second.wait_for_selector("#sitegen-overlay").inner_text()
    template.write_text(good.replace("{{ article.title }}", "{{ article.title }} (fixed)"), encoding="utf-8")
    page.wait_for_function("() => document.querySelector('h1').textContent.includes('(fixed)')")
    assert page.query_selector("#sitegen-overlay") is None
    second.wait_for_function("() => !document.getElementById('sitegen-overlay')")


def test_content_errors_show_in_the_overlay_while_the_site_still_updates(news, serve, page):
    served = serve(news)
    page.goto(served.url.rstrip("/") + "/")
    connected(page)
    write_files(news, {"content/2024/bad.md": "---\ntitle: [unclosed\ndate: 2024-07-01\n---\nBody\n",
                       "content/2024/new.md": article_md("Brand new story", "2024-07-06T09:00:00Z")})
    overlay = page.wait_for_selector("#sitegen-overlay")
    assert "content/2024/bad.md:3: error: invalid YAML in front matter" in overlay.inner_text()
    assert "Brand new story" in page.content()  # the page reloaded with the new site
    page.click("#sitegen-overlay button")  # dismissable
    assert page.query_selector("#sitegen-overlay") is None
    (news / "content/2024/bad.md").unlink()
    served.wait_builds(3)
    fresh = page.context.new_page()
    fresh.goto(served.url.rstrip("/") + "/")
    connected(fresh)
    assert fresh.query_selector("#sitegen-overlay") is None
