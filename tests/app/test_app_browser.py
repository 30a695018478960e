"""End to end in a real headless Chromium (Debian's ``chromium`` and ``chromium-driver``) driven by Selenium: the app
loads offline, the graph and critique pages render, screenshots land in tmp_path."""

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
from selenium import webdriver
from selenium.webdriver.chrome.service import Service as ChromeService
from selenium.webdriver.common.by import By

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(CHROMIUM is None or CHROMEDRIVER is None,
                                reason="needs Debian's chromium and chromium-driver (make test installs them)")


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


def _open(driver, url: str, wait_for: str, timeout: float = 40) -> str:
    """Load ``url`` and wait until the page text shows ``wait_for``; the text then."""
    driver.get(url)
    return _wait_text(driver, wait_for, timeout, url)


def _wait_text(driver, wait_for: str, timeout: float = 40, where: str = "page") -> str:
    deadline = time.monotonic() + timeout
    text = ""
    while time.monotonic() < deadline:
        text = driver.execute_script("return document.body ? document.body.innerText : ''")
        if wait_for in text:
            time.sleep(2)  # let the graph iframe draw before a screenshot
            return driver.execute_script("return document.body.innerText")
        time.sleep(0.3)
    raise AssertionError(f"{where}: {wait_for!r} never appeared; page text: {text[:300]!r}")


def _tour(base: str, out: Path) -> dict[str, str]:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-quic",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--window-size=1500,1000"):
        options.add_argument(flag)
    profile = tempfile.mkdtemp()
    options.add_argument(f"--user-data-dir={profile}")
    # The system driver, named explicitly: Selenium Manager would try to download one, and there is no internet.
    driver = webdriver.Chrome(service=ChromeService(executable_path=CHROMEDRIVER), options=options)
    try:
        texts = {"home": _open(driver, base + "/", "Inspect and steer")}
        texts["graph"] = _open(driver, base + "/graph", "BFCL check")
        driver.save_screenshot(str(out / "graph.png"))
        texts["critique"] = _open(driver, base + "/critique", "Run Phases II")
        driver.save_screenshot(str(out / "critique.png"))
        button = next(b for b in driver.find_elements(By.TAG_NAME, "button") if "Run Phases II" in b.text)
        button.click()
        texts["critique_run"] = _wait_text(driver, "Hard query")
        driver.save_screenshot(str(out / "critique_run.png"))
        return texts
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def test_app_in_headless_chromium(server, tmp_path):
    """Also copies the screenshots to ``$FR_SCREENSHOTS`` when set (e.g. ``docs/`` for the README tour)."""
    texts = _tour(server, tmp_path)
    if os.environ.get("FR_SCREENSHOTS"):
        out = Path(os.environ["FR_SCREENSHOTS"])
        out.mkdir(parents=True, exist_ok=True)
        for name in ("graph.png", "critique_run.png"):
            shutil.copy(tmp_path / name, out / f"app_{name}")
    for name, text in texts.items():
        (tmp_path / f"{name}.txt").write_text(text)
    assert "API graph" in texts["home"] and "Critique loop" in texts["home"]
    assert "Traceback" not in texts["graph"] and "Edges" in texts["graph"], texts["graph"][-600:]
    assert "Traceback" not in texts["critique"] and "Hard query" not in texts["critique"]
    assert "Traceback" not in texts["critique_run"] and "Attempt" in texts["critique_run"]
    for name in ("graph.png", "critique.png", "critique_run.png"):
        assert (tmp_path / name).stat().st_size > 10_000
