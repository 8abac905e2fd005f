"""The console output: print the digest as markdown and keep a copy as ``<data dir>/digests/<date>.md`` and
``.html``."""

from __future__ import annotations

import itertools
import sys
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from monitor.deliver.base import DeliveryError, Output, OutputContext, Part
from monitor.deliver.outputs import CONSOLE
from monitor.deliver.render import render_html, render_markdown
from monitor.digest import Digest


class ConsoleOutput(Output):
    name = "console"

    def __init__(self, data_dir: Path, zone: ZoneInfo, stream: TextIO | None = None) -> None:
        self.folder = Path(data_dir) / "digests"
        self.zone = zone
        # Looked up now rather than as a default argument, so a redirected sys.stdout (tests, the CLI) is honoured.
        self.stream = stream if stream is not None else sys.stdout

    @classmethod
    def from_section(cls, section: bool, context: OutputContext) -> ConsoleOutput:
        return cls(context.data_dir, context.zone, context.stream)

    def destinations(self) -> tuple[str, ...]:
        return (CONSOLE,)

    def render(self, digest: Digest, *, alert: bool = False, destination: str | None = None) -> list[Part]:
        if alert:  # alerts are printed; the digest that follows keeps the files
            return [{"markdown": render_markdown(digest, alert=True)}]
        return [
            {
                "markdown": render_markdown(digest, alert=alert),
                "html": render_html(digest, alert=alert),
                "date": digest.generated_at.date().isoformat(),
            }
        ]

    def render_notice(self, title: str, text: str) -> list[Part]:
        return [{"markdown": f"{title}: {text}\n"}]

    def send(self, destination: str, part: Part, receipts: Sequence[str | None], *, key: str) -> str | None:
        """Write both files, then print, so a failed write never leaves a printed digest that a retry prints again.
        Returns the path of the .md file (None for alerts and notices, which are only printed)."""
        if "html" not in part:
            self.stream.write(part["markdown"])
            self.stream.flush()
            return None
        try:
            markdown_path = self._write(part)
        except OSError as error:
            raise DeliveryError(
                self.name,
                destination,
                f"could not write the digest files in {self.folder}: {error.strerror or error}; "
                "check that the data directory (MONITOR_DATA_DIR) exists and is writable",
                retryable=not isinstance(error, PermissionError),
                config_problem=isinstance(error, PermissionError),
            ) from error
        self.stream.write(part["markdown"])
        self.stream.flush()
        return str(markdown_path)

    def _write(self, part: Part) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        stem = next(stem for stem in self._free_stems(part["date"]) if self._claim(stem))
        markdown_path = self.folder / f"{stem}.md"
        markdown_path.write_text(part["markdown"], encoding="utf-8")
        (self.folder / f"{stem}.html").write_text(part["html"], encoding="utf-8")
        return markdown_path

    def _claim(self, stem: str) -> bool:
        """Create ``<stem>.md`` unless that name is taken; mode "x" makes the claim atomic, so a second digest on the
        same day never overwrites the first."""
        if (self.folder / f"{stem}.html").exists():
            return False
        try:
            (self.folder / f"{stem}.md").open("x").close()
        except FileExistsError:
            return False
        return True

    def _free_stems(self, day: str) -> Iterator[str]:
        """``2026-11-26``, then ``2026-11-26-0815`` (the time of sending), then ``2026-11-26-0815-2`` and so on."""
        yield day
        stamped = f"{day}-{datetime.now(self.zone):%H%M}"
        yield stamped
        for number in itertools.count(2):
            yield f"{stamped}-{number}"
