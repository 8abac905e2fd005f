"""The one HTTP client every source uses: timeouts, size caps, redirects, conditional GET, per-host politeness,
robots.txt, and the guard that keeps links found in feeds and pages away from private addresses.

``Fetcher.get`` either returns a ``Response`` (2xx, or 304 to a conditional request) or raises ``FetchError`` with a
reason a newsroom can read ("answered 503 Service Unavailable", "timed out after 30 s").

The modules: ``client`` (the Fetcher), ``answers`` (what a fetch gives back), ``guard`` (private addresses),
``politeness`` (the per-host gate), ``robots`` (the robots.txt cache), ``settings`` (``fetch:`` in monitor.yaml).
"""

from monitor.fetch.answers import FetchError, LinkRefused, Response, Validators
from monitor.fetch.client import Fetcher
from monitor.fetch.guard import is_public_address

__all__ = ["FetchError", "Fetcher", "LinkRefused", "Response", "Validators", "is_public_address"]
