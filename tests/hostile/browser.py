"""Headless Chromium over the DevTools protocol (``--remote-debugging-pipe``): open a page, let its scripts run,
expand every result row, and report every dialog, console message and uncaught exception.

The protocol is JSON messages separated by NUL bytes on file descriptors 3 (to the browser) and 4 (from it), so
no WebSocket client is needed (https://chromedevtools.github.io/devtools-protocol/). A report is judged safe when
nothing the target sent runs: no ``alert``/``confirm``/``prompt`` dialog opens, and no console message or exception
names an injected payload (``xss-...``, see ``tests/hostile/kit.py``).
"""

from __future__ import annotations

import base64
import json
import os
import select
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run")
# pytest-html builds its rows client-side; open every collapsed row and log so that all of it is rendered
EXPAND = """(() => {
  for (const el of document.querySelectorAll('.collapsed')) el.classList.remove('collapsed');
  const all = document.querySelector('.show_all_details, #show_all_details');
  if (all) all.click();
  for (const row of document.querySelectorAll('.collapsible td, td.col-result')) row.click();
  return JSON.stringify({rows: document.querySelectorAll('tbody.results-table-row').length,
                         text: document.body.textContent});
})()"""


def chromium() -> str | None:
    """The Chromium executable, if installed (``.ci/run`` installs it)."""
    return shutil.which("chromium") or shutil.which("chromium-browser") or (
        "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)


@contextmanager
def launched(directory: Path) -> Iterator[Browser]:
    """Headless Chromium for a test module: required in CI (``.ci/run`` installs it), else the test is skipped."""
    import pytest

    executable = chromium()
    if executable is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed; .ci/run installs it")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    running = Browser(executable, directory)
    try:
        yield running
    finally:
        running.close()


@dataclass
class PageRun:
    """What a page did while it was open."""

    dialogs: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)
    rows: int = 0
    text: str = ""  # the page's text once expanded: injected markup shown as text, not run

    def injected(self, marker: str = "xss-") -> list[str]:
        """Everything that shows injected script ran: any dialog, and console output or exceptions naming it."""
        return self.dialogs + [m for m in self.console + self.exceptions if marker in m]


class Browser:
    """One headless Chromium, driven over its DevTools pipe."""

    def __init__(self, executable: str, profile_dir: Path) -> None:
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()

        def wire() -> None:  # in the child: fd 3 reads our commands, fd 4 writes its answers; nothing else open
            os.dup2(to_browser_r, 1000)  # out of the way first: either pipe end may already be fd 3 or 4
            os.dup2(from_browser_w, 1001)
            os.dup2(1000, 3)
            os.dup2(1001, 4)
            os.closerange(5, 1 << 16)

        self._process = subprocess.Popen(
            [executable, *FLAGS, f"--user-data-dir={profile_dir}", "--remote-debugging-pipe", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, close_fds=False,
            preexec_fn=wire)
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buffer = b""
        self._next_id = 0
        self._events: list[dict[str, Any]] = []

    def close(self) -> None:
        """Ask the browser to quit; kill it if it does not."""
        try:
            self._send("Browser.close")
        except OSError:
            pass
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(timeout=10)
        for fd in (self._to_browser, self._from_browser):
            os.close(fd)

    def _send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> int:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        return self._next_id

    def _read(self, timeout: float) -> dict[str, Any] | None:
        deadline = time.monotonic() + timeout
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._from_browser], [], [], left)[0]:
                return None
            chunk = os.read(self._from_browser, 1 << 16)
            if not chunk:
                raise RuntimeError("chromium closed its DevTools pipe")
            self._buffer += chunk
        message, _, self._buffer = self._buffer.partition(b"\0")
        return json.loads(message)

    def call(self, method: str, params: dict[str, Any] | None = None, session: str | None = None,
             timeout: float = 30) -> dict[str, Any]:
        """Send a command and wait for its result (events that arrive meanwhile are kept)."""
        wanted = self._send(method, params, session)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            message = self._read(deadline - time.monotonic())
            if message is None:
                break
            if message.get("id") == wanted:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self._events.append(message)
        raise TimeoutError(f"chromium did not answer {method} within {timeout:g} s")

    def visit(self, url: str, settle_s: float = 2.0) -> PageRun:
        """Open ``url`` in a new tab, wait for it to load, expand everything, and record what ran."""
        tab = self.open(url, settle_s=settle_s)
        try:
            return tab.run
        finally:
            tab.close()

    def open(self, url: str, *, settle_s: float = 2.0, width: int = 1280, height: int = 900,
             expand: bool = True) -> Tab:
        """Open ``url`` in a new tab of ``width`` x ``height``, wait for it to load, expand everything (unless not
        ``expand``); the tab stays open for scripts and screenshots (:class:`Tab`) until closed."""
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            self.call(f"{domain}.enable", session=session)
        self.call("Emulation.setDeviceMetricsOverride", {"width": width, "height": height, "deviceScaleFactor": 1,
                                                         "mobile": False}, session=session)
        self._events.clear()
        tab = Tab(self, target, session, PageRun())
        self.call("Page.navigate", {"url": url}, session=session)
        self._watch(tab.run, session, until="Page.loadEventFired", seconds=30)
        self._watch(tab.run, session, until=None, seconds=settle_s)
        if expand:
            page = json.loads(tab.evaluate(EXPAND) or "{}")
            tab.run.rows, tab.run.text = int(page.get("rows", 0)), str(page.get("text", ""))
            self._watch(tab.run, session, until=None, seconds=settle_s)
        return tab

    def watch(self, run: PageRun, session: str, *, until: str | None, seconds: float) -> None:
        """Record what the page does for ``seconds`` (or until the event ``until``)."""
        self._watch(run, session, until=until, seconds=seconds)

    def _watch(self, run: PageRun, session: str, *, until: str | None, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while True:
            message = self._events.pop(0) if self._events else self._read(max(0.0, deadline - time.monotonic()))
            if message is None:
                return
            method, params = message.get("method"), message.get("params", {})
            if method == "Page.javascriptDialogOpening":
                run.dialogs.append(f"{params.get('type')}: {params.get('message')}")
                self._send("Page.handleJavaScriptDialog", {"accept": True}, session)
            elif method == "Runtime.consoleAPICalled":
                text = " ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", []))
                run.console.append(f"{params.get('type')}: {text}")
            elif method == "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                run.exceptions.append(str(details.get("exception", {}).get("description") or details.get("text")))
            elif method == "Log.entryAdded":
                entry = params.get("entry", {})
                run.console.append(f"{entry.get('level')}: {entry.get('text')}")
            if until is not None and method == until:
                return
            if time.monotonic() > deadline:
                return


@dataclass
class Tab:
    """An open tab: evaluate scripts in it (awaiting promises), take screenshots, then close it."""

    browser: Browser
    target: str
    session: str
    run: PageRun

    def evaluate(self, expression: str, *, timeout: float = 120) -> Any:
        """The value of ``expression`` (a promise is awaited); an exception thrown by it raises here."""
        answer = self.browser.call("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                        "awaitPromise": True}, session=self.session,
                                   timeout=timeout)
        if "exceptionDetails" in answer:
            raise RuntimeError(f"the page's script failed: {answer['exceptionDetails']}")
        return answer.get("result", {}).get("value")

    def screenshot(self, path: Path, *, full_page: bool = False) -> Path:
        """Save a PNG of the viewport (or of the whole page) to ``path``."""
        params: dict[str, Any] = {"format": "png"}
        if full_page:
            size = self.browser.call("Page.getLayoutMetrics", session=self.session)["cssContentSize"]
            params.update(captureBeyondViewport=True, clip={"x": 0, "y": 0, "width": size["width"],
                                                             "height": min(size["height"], 16000), "scale": 1})
        shot = self.browser.call("Page.captureScreenshot", params, session=self.session, timeout=60)
        path.write_bytes(base64.b64decode(shot["data"]))
        return path

    def close(self) -> None:
        """Close the tab."""
        self.browser.call("Target.closeTarget", {"targetId": self.target})
