"""A module does one job: none in monitor/ grows past MAX_LINES. Split a module by purpose before it does."""

from __future__ import annotations

from pathlib import Path

MAX_LINES = 400
PACKAGE = Path(__file__).resolve().parent.parent / "monitor"


def test_no_module_in_the_package_is_over_the_limit():
    sizes = {path.relative_to(PACKAGE.parent): len(path.read_text().splitlines()) for path in PACKAGE.rglob("*.py")}
    too_long = {str(path): lines for path, lines in sizes.items() if lines > MAX_LINES}
    assert sizes and not too_long, f"modules over {MAX_LINES} lines: {too_long}"
