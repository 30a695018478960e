"""The analysis notebooks run top to bottom offline in the venv's kernel, under 3 minutes, with computed conclusions;
their .py and .ipynb halves say the same thing. The run executes every cell on a quarter of BFCL base's class mix
and one sample per class set (``FR_ANALYSIS_STRIDE=4``, ``FR_ANALYSIS_REPEATS=1``): the same code, less data."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import jupytext
import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
NAMES = ["complexity", "diversity"]
BUDGET_S = 180


def _cells(nb) -> list[tuple[str, str]]:
    return [(c.cell_type, c.source.strip()) for c in nb.cells]


@pytest.mark.parametrize("name", NAMES)
def test_py_and_ipynb_are_in_sync(name):
    py = jupytext.read(NOTEBOOKS / f"{name}.py")
    ipynb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    assert _cells(py) == _cells(ipynb), f"run: jupytext --sync notebooks/{name}.py"
    assert ipynb.metadata.get("jupytext", {}).get("formats") == "ipynb,py:percent"


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_notebook_runs_and_concludes(name, tmp_path, monkeypatch):
    monkeypatch.setenv("FR_ANALYSIS_DB", "")  # generate in the notebook: a store on this machine must not matter
    monkeypatch.setenv("FR_ANALYSIS_STRIDE", "4")
    monkeypatch.setenv("FR_ANALYSIS_REPEATS", "1")
    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    # First, which Python the kernel runs: it must be this venv's, with the installed fr_core.
    nb.cells.insert(0, nbformat.v4.new_code_cell("import sys; print(sys.prefix)"))
    client = NotebookClient(nb, timeout=BUDGET_S, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOKS)}})
    started = time.perf_counter()
    client.execute()  # raises CellExecutionError on the first failing cell
    elapsed = time.perf_counter() - started
    nbformat.write(nb, tmp_path / f"{name}.ipynb")
    assert nb.cells[0].outputs[0]["text"].strip() == sys.prefix
    assert elapsed < BUDGET_S, f"{name} took {elapsed:.0f} s"
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    conclusions = [c for c in nb.cells if c.cell_type == "code" and "display(Markdown(" in c.source]
    assert len(conclusions) >= 4
    for cell in conclusions:
        texts = [o.get("data", {}).get("text/markdown", "") for o in cell.outputs]
        assert any(t.strip() for t in texts), f"conclusion cell printed nothing:\n{cell.source[:200]}"
    figures = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
               if "application/vnd.plotly.v1+json" in o.get("data", {})]
    assert len(figures) >= 4
