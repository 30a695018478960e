"""How every ``fr`` command reports an error it cannot go on from."""

from __future__ import annotations

from typing import NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from fr_core.errors import FrError
from fr_core.redact import scrub

__all__ = ["fail"]

_console = Console(stderr=True)


def fail(exc: FrError) -> NoReturn:
    """Print ``exc`` as the command's error, on stderr (secrets scrubbed; its text never read as markup, so a
    message naming "[style].openers" keeps its brackets) and exit with status 2."""
    _console.print("[red]error:[/red]", escape(scrub(str(exc))), highlight=False)
    raise typer.Exit(2)
