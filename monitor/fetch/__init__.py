"""The one HTTP client every source uses: timeouts, size caps, redirects, conditional GET, per-host politeness,
robots.txt, and the guard that keeps links found in feeds and pages away from private addresses.

``Fetcher.get`` either returns a ``Response`` (2xx, or 304 to a conditional request) or raises ``FetchError`` with a
reason a newsroom can read ("answered 503 Service Unavailable", "timed out after 30 s").

The modules: ``client`` (the Fetcher), ``answers`` (what a fetch gives back), ``guard`` (private addresses),
``politeness`` (the per-host gate), ``robots`` (the robots.txt cache), ``settings`` (``fetch:`` in monitor.yaml).
This package exports only what a fetch gives back: the client and its guard, with httpx2 behind them, are imported
from their modules by the code that fetches, so the configuration and the stages that only read answers load without
them.
"""

from monitor.fetch.answers import FetchError, LinkRefused, Response, Validators

__all__ = ["FetchError", "LinkRefused", "Response", "Validators"]
