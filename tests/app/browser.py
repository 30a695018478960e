"""Helpers for the tests that drive a real headless Chromium (Debian's ``chromium`` and ``chromium-driver``) against
a Streamlit server on 127.0.0.1."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
needs_chromium = pytest.mark.skipif(CHROMIUM is None or CHROMEDRIVER is None,
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


@contextmanager
def serve(app_file: Path, extra_env: Mapping[str, str] = {}) -> Iterator[str]:
    """``streamlit run app_file`` on a free local port (no API keys in its environment); yields its base URL."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")} | dict(extra_env)
    proc = subprocess.Popen([str(Path(sys.executable).with_name("streamlit")), "run", str(app_file),
                             "--server.port", str(port), "--server.headless", "true",
                             "--server.address", "127.0.0.1"],
                            cwd=app_file.parents[1], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_http(f"http://127.0.0.1:{port}/_stcore/health", 30)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@contextmanager
def chrome() -> Iterator[object]:
    """A headless Chromium through the system chromedriver (Selenium Manager would try to download one)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service as ChromeService

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-quic",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--window-size=1500,1000"):
        options.add_argument(flag)
    profile = tempfile.mkdtemp()
    options.add_argument(f"--user-data-dir={profile}")
    driver = webdriver.Chrome(service=ChromeService(executable_path=CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def page_text(driver) -> str:
    return driver.execute_script("return document.body ? document.body.innerText : ''")


def script_state(driver) -> str:
    """Streamlit's script run state as its page shows it: "running", "notRunning", "rerunRequested", ..."""
    return driver.execute_script("const app = document.querySelector('[data-testid=\"stApp\"]');"
                                 "return app ? app.getAttribute('data-test-script-state') : '';") or ""


def wait_text(driver, wait_for: str, timeout: float = 40, where: str = "page", settle: float = 0.0,
              idle: bool = False) -> str:
    """Wait until the page text shows ``wait_for`` (and, with ``idle``, the app's script has finished its run, so
    every widget of the page is drawn and listens to clicks and shortcuts); the text then."""
    deadline = time.monotonic() + timeout
    text = ""
    while time.monotonic() < deadline:
        text = page_text(driver)
        if wait_for in text and (not idle or script_state(driver) == "notRunning"):
            if settle:
                time.sleep(settle)
                text = page_text(driver)
            return text
        time.sleep(0.1)
    raise AssertionError(f"{where}: {wait_for!r} never appeared (script {script_state(driver)!r}); page text: "
                         f"{text[-1500:]!r}")
