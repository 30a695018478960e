"""End to end in a real headless Chromium (Debian's ``chromium`` and ``chromium-driver``) driven by Selenium: the app
loads offline, the graph and critique pages render, screenshots land in tmp_path."""

import os
import shutil
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By

from tests.app.browser import chrome, needs_chromium, serve, wait_text

pytestmark = [needs_chromium, pytest.mark.slow]


@pytest.fixture
def server(app_file):
    with serve(app_file) as base:
        yield base


def _open(driver, url: str, wait_for: str, timeout: float = 40) -> str:
    """Load ``url`` and wait until the page text shows ``wait_for``; the text then."""
    driver.get(url)
    return _wait_text(driver, wait_for, timeout, url)


def _wait_text(driver, wait_for: str, timeout: float = 40, where: str = "page") -> str:
    return wait_text(driver, wait_for, timeout, where, settle=2)  # let the graph iframe draw before a screenshot


def _tour(base: str, out: Path) -> dict[str, str]:
    with chrome() as driver:
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
