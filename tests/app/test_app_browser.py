"""End to end in a real headless Chromium (Debian's ``chromium``), driven over the DevTools protocol with tornado's
websocket client: the app loads offline, the graph and critique pages render, screenshots land in tmp_path."""

import asyncio
import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest
from tornado.websocket import websocket_connect

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (apt-get install chromium)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_http(url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(url)


class Page:
    """A minimal DevTools client: navigate, read the page text, take a screenshot."""

    def __init__(self, ws) -> None:
        self.ws, self.n = ws, 0

    async def call(self, method: str, **params):
        self.n += 1
        await self.ws.write_message(json.dumps({"id": self.n, "method": method, "params": params}))
        while True:
            msg = json.loads(await self.ws.read_message())
            if msg.get("id") == self.n:
                return msg.get("result", {})

    async def text(self) -> str:
        r = await self.call("Runtime.evaluate", expression="document.body ? document.body.innerText : ''",
                            returnByValue=True)
        return r.get("result", {}).get("value", "")

    async def open(self, url: str, wait_for: str, timeout: float = 40) -> str:
        await self.call("Page.navigate", url=url)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = await self.text()
            if wait_for in text:
                await asyncio.sleep(2)  # let the iframe draw
                return await self.text()
            await asyncio.sleep(0.3)
        raise AssertionError(f"{url}: {wait_for!r} never appeared; page text: {text[:300]!r}")

    async def screenshot(self, path: Path) -> None:
        r = await self.call("Page.captureScreenshot", format="png")
        path.write_bytes(base64.b64decode(r["data"]))


@pytest.fixture
def server(app_file):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    proc = subprocess.Popen([str(Path(sys.executable).with_name("streamlit")), "run", str(app_file),
                             "--server.port", str(port), "--server.headless", "true"],
                            cwd=app_file.parents[1], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_http(f"http://127.0.0.1:{port}/_stcore/health", 30)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


async def _tour(base: str, out: Path) -> dict[str, str]:
    profile = tempfile.mkdtemp()
    chrome = subprocess.Popen([CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                               "--remote-debugging-port=0", f"--user-data-dir={profile}", "--window-size=1500,1000",
                               "about:blank"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        port_file = Path(profile) / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (port_file.exists() and port_file.read_text().strip()) and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        port = port_file.read_text().split()[0]
        targets = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/json").read())
        ws = await websocket_connect(next(t["webSocketDebuggerUrl"] for t in targets if t["type"] == "page"),
                                     max_message_size=256 * 2**20)
        page = Page(ws)
        texts = {"home": await page.open(base + "/", "Inspect and steer")}
        texts["graph"] = await page.open(base + "/graph", "BFCL check")
        await page.screenshot(out / "graph.png")
        texts["critique"] = await page.open(base + "/critique", "Run Phases II")
        await page.screenshot(out / "critique.png")
        ws.close()
        return texts
    finally:
        chrome.terminate()
        chrome.wait(timeout=10)
        shutil.rmtree(profile, ignore_errors=True)


def test_app_in_headless_chromium(server, tmp_path):
    """Also copies the screenshots to ``$FR_SCREENSHOTS`` when set (e.g. ``docs/`` for the README tour)."""
    texts = asyncio.run(_tour(server, tmp_path))
    if os.environ.get("FR_SCREENSHOTS"):
        out = Path(os.environ["FR_SCREENSHOTS"])
        out.mkdir(parents=True, exist_ok=True)
        for name in ("graph.png", "critique.png"):
            shutil.copy(tmp_path / name, out / f"app_{name}")
    for name, text in texts.items():
        (tmp_path / f"{name}.txt").write_text(text)
    assert "API graph" in texts["home"] and "Critique loop" in texts["home"]
    assert "Traceback" not in texts["graph"] and "Edges" in texts["graph"], texts["graph"][-600:]
    assert "Traceback" not in texts["critique"] and "Hard query" not in texts["critique"]
    for name in ("graph.png", "critique.png"):
        assert (tmp_path / name).stat().st_size > 10_000
