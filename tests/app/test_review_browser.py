"""A reviewer in a real headless Chromium: open a run's review queue, edit a round to a wrong value, see the failing
check with its state diff, fix it and accept with the shortcuts, export; bulk-reject three samples; make a later
round stale by editing round 1."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from fr_core.agents import make_agents
from fr_core.pipeline import generate_sample
from fr_core.review import check_edit, current, current_attempt, stale_rounds, steps_text
from fr_core.serialize import to_dict
from fr_core.store import EditRow, Store
from tests.app.browser import chrome, needs_chromium, page_text, serve, wait_text

pytestmark = [needs_chromium, pytest.mark.slow]

EXTRA_READS = ("pwd()", "ls()", "du()")


@pytest.fixture
def run(tmp_path):
    """A run of eight two-round file-system samples, made offline; (store path, run id, sample ids)."""
    db = tmp_path / "review.db"
    store = Store(db)
    try:
        run_id = store.create_run({"note": "review test"}, 0, 8)
        for i in range(8):
            store.add_sample(run_id, i, generate_sample(["GorillaFileSystem"], rounds=2, seed=0, index=i,
                                                        agents=make_agents("offline", mistake_rate=0.0)).output)
        ids = [r.id for r in store.iter_samples(run_id, with_trajectory=False)]
    finally:
        store.close()
    return db, run_id, ids


def _round1(db: Path, sid: str):
    store = Store(db)
    try:
        trajectory = store.get_sample(sid).trajectory
    finally:
        store.close()
    attempt = current_attempt(trajectory.turns[0])
    return trajectory, steps_text(attempt.steps, attempt.reasoning)


def _mutations(text: str):
    """Each string argument of the text changed to a wrong value: (edited text, wrong value)."""
    for m in re.finditer(r"(\w+)='([^'\\]+)'", text):
        wrong = m.group(2) + "_wrong"
        yield text[:m.start(2)] + wrong + text[m.end(2):], wrong


def _wrong_then_fixed(db: Path, ids: list[str]):
    """The first sample (queue position, text) whose round 1 fails on the state with a wrong argument, and a fix
    that passes with an extra read-only step and new reasoning: (position, wrong text, wrong value, fixed text)."""
    for pos, sid in enumerate(ids):
        trajectory, text = _round1(db, sid)
        if trajectory.status != "accepted" or current_attempt(trajectory.turns[0]) is None:
            continue
        wrong = next(((t, v) for t, v in _mutations(text) if check_edit(trajectory, 1, t).verdict.rule == "state"),
                     None)
        for read in EXTRA_READS:
            fixed = f"{text}\n\n<think>Checked by hand: I look once more with {read}.</think><tool_call>[{read}]" \
                    "</tool_call>"
            if wrong and check_edit(trajectory, 1, fixed).verdict.passed:
                return pos, wrong[0], wrong[1], fixed
    raise AssertionError("no sample of the run has a round-1 argument whose wrong value fails on the state")


def _staling(db: Path, ids: list[str], skip: set[str]):
    """A sample (position, edited round-1 text) whose round 2 changes its verdict when round 1 is edited."""
    for pos, sid in enumerate(ids):
        if sid in skip:
            continue
        trajectory, text = _round1(db, sid)
        if len(trajectory.turns) < 2 or current_attempt(trajectory.turns[1]) is None:
            continue
        for edited, _ in _mutations(text):
            checked = check_edit(trajectory, 1, edited)
            after = {"steps": edited, "attempt": to_dict(checked.attempt(0, ""))}
            revised = current(trajectory, [EditRow(1, sid, "round", {}, after, "t", 0.0, 1)])
            if stale_rounds(revised, 1):
                return pos, edited
    raise AssertionError("no sample of the run has a round-1 edit that changes round 2's verdict")


class Reviewer:
    """The browser, counting the key presses of shortcuts and editing keys (typed text is not counted)."""

    def __init__(self, driver) -> None:
        self.driver = driver
        self.presses = 0

    def press(self, *keys: str) -> None:
        """One key press: a key, or a chord (Ctrl+Enter) held together."""
        chain = ActionChains(self.driver)
        for k in keys[:-1]:
            chain.key_down(k)
        chain.send_keys(keys[-1])
        for k in reversed(keys[:-1]):
            chain.key_up(k)
        chain.perform()
        self.presses += 1
        time.sleep(0.4)

    def type(self, text: str) -> None:
        ActionChains(self.driver).send_keys(text).perform()

    def edit(self, text: str) -> None:
        """Focus the editor (E), select all (Ctrl+A), type the new steps, apply them (Ctrl+Enter), leave (Esc)."""
        self.press("e")
        self.press(Keys.CONTROL, "a")
        self.type(text)
        self.press(Keys.CONTROL, Keys.ENTER)

    def wait(self, what: str, timeout: float = 40) -> str:
        return wait_text(self.driver, what, timeout, "review page", settle=0.3, idle=True)  # the rerun has drawn

    def button(self, label: str):
        return next(b for b in self.driver.find_elements(By.TAG_NAME, "button") if b.text.strip().startswith(label))


def _export(db: Path, run_id: str, out: Path) -> dict[str, dict]:
    fr = Path(sys.executable).with_name("fr")
    done = subprocess.run([str(fr), "export", "--run", run_id, "--format", "funreason", "--out", str(out),
                           "--db", str(db)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    records = [json.loads(line) for line in out.read_text().splitlines()]
    return {r["meta"]["sample_id"]: r for r in records}


def _store_ids(db: Path, run_id: str) -> dict[str, str]:
    """Store id -> the trajectory's own sample id (what export records carry in ``meta``)."""
    store = Store(db)
    try:
        return {r.id: r.trajectory.sample_id for r in store.iter_samples(run_id) if r.trajectory is not None}
    finally:
        store.close()


def test_review_queue_edit_fix_accept_export_bulk_reject_and_stale(app_file, run, tmp_path):
    db, run_id, ids = run
    own = _store_ids(db, run_id)
    pos, wrong, wrong_value, fixed = _wrong_then_fixed(db, ids)
    sid = ids[pos]
    with serve(app_file, {"FR_STORE": str(db)}) as base, chrome() as driver:
        me = Reviewer(driver)
        driver.get(base + "/review")
        me.wait("Sample 1 of 8")
        assert "N next sample" in page_text(driver) and "A accept" in page_text(driver)
        for n in range(pos):  # to the sample this test edits (choosing a sample is not part of the edit)
            me.press("n")
            me.wait(f"Sample {n + 2} of 8")
        me.presses = 0

        # A wrong value: the check fails on the state, and the table shows the path, before and after.
        me.edit(wrong)
        text = me.wait("FAIL [state]")
        assert "ground truth (before)" in text and "this edit (after)" in text and wrong_value in text
        me.press(Keys.ESCAPE)
        assert me.presses == 4

        # The fix, then accept: E, Ctrl+A, (typing), Ctrl+Enter, Esc, A.
        me.presses = 0
        me.edit(fixed)
        me.wait("PASS")
        me.press(Keys.ESCAPE)
        me.press("a")
        me.wait(f"Accepted {sid}")
        assert me.presses <= 6, me.presses
        edit_presses = me.presses

        records = _export(db, run_id, tmp_path / "one.jsonl")
        record = records[own[sid]]
        body = json.dumps(record, ensure_ascii=False)
        assert "Checked by hand" in body
        assert json.loads(record["meta"]["provenance"])["edited"] is True

        # Bulk reject three other samples from the queue table.
        rejected = [i for i in ids if i != sid and own.get(i) in records][:3]
        driver.get(base + "/review")
        me.wait("Queue table")
        next(e for e in driver.find_elements(By.TAG_NAME, "summary") if "Queue table" in e.text).click()
        grid = me.wait("Reject selected (0)") and driver.find_element(By.CSS_SELECTOR, ".st-key-review-table")
        height = grid.size["height"]
        rows = len(ids)
        row_h = (height - 2) / (rows + 1)
        for i in (ids.index(x) for x in rejected):
            ActionChains(driver).move_to_element_with_offset(grid, -grid.size["width"] / 2 + 12,
                                                             -height / 2 + row_h * (i + 1.5)).click().perform()
            time.sleep(0.5)
        me.wait("Reject selected (3)")
        me.button("Reject selected").click()
        me.wait("Rejected 3 sample(s)")
        after = _export(db, run_id, tmp_path / "two.jsonl")
        assert not {own[i] for i in rejected} & set(after)
        assert own[sid] in after

        # Edit round 1 of a sample so that round 2 no longer passes: round 2 shows as stale.
        driver.get(base + "/review")
        me.wait("Sample 1 of 8")
        stale_pos, edited = _staling(db, ids, {sid, *rejected})
        for n in range(stale_pos):
            me.press("n")
            me.wait(f"Sample {n + 2} of 8")
        me.edit(edited)
        me.wait("FAIL")
        me.press(Keys.ESCAPE)
        me.button("Save revision").click()
        text = me.wait("Stale now")
        assert "round 2" in text
        next(e for e in driver.find_elements(By.CSS_SELECTOR, "label") if e.text.strip() == "round 2").click()
        text = me.wait("Round 2 is stale")
        assert "Re-run Phase III" in text and "Keep as is" in text and "stale 1" in text
        driver.save_screenshot(str(tmp_path / "review_stale.png"))
    (tmp_path / "presses.txt").write_text(str(edit_presses))
