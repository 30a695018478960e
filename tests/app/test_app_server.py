"""Smoke test: ``fr app`` (what ``make app`` runs), started from a folder other than the repo, serves the workbench
on 127.0.0.1 only, with usage statistics off and no key, and answers its health check (issue 19, case 7)."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

FR = str(Path(sys.executable).with_name("fr"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_fr_app_serves_on_this_machine_only_with_usage_statistics_off_from_any_folder(tmp_path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    proc = subprocess.Popen([FR, "app", "--port", str(port)], cwd=tmp_path, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        body = None
        while time.monotonic() < deadline and body is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as resp:
                    body = resp.read().decode()
            except OSError:
                time.sleep(0.3)
        assert body == "ok"
        listening = [line.split()[1] for line in Path("/proc/net/tcp").read_text().splitlines()[1:]
                     if line.split()[3] == "0A"]  # state LISTEN
        assert f"0100007F:{port:04X}" in listening and f"00000000:{port:04X}" not in listening
        command = Path(f"/proc/{proc.pid}/cmdline").read_bytes().split(b"\0")  # `fr app` became Streamlit
        assert command[command.index(b"--browser.gatherUsageStats") + 1] == b"false"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
