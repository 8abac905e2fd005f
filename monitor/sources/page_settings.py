"""A ``type: page`` entry of sources.yaml: a listing page without a feed, read with the CSS selectors staff give.

soupsieve is imported only when an entry has selectors to check.
"""

from __future__ import annotations

import re
import warnings
from typing import Annotated, Literal

from pydantic import AfterValidator

from monitor.sources.base import SourceConfig

_POSITION = re.compile(r" (?:at )?position \d+,?")
_SELECTOR_HELP = "copy it from your browser's inspector, e.g. article.news-item h2 a (see 'Page sources' in the README)"


def check_css_selector(value: str) -> str:
    """``value`` if soupsieve can read it as a CSS selector; else ValueError saying where it goes wrong."""
    import soupsieve  # here: the configuration of sources without selectors is read without it

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # :contains() still works under its old name
            soupsieve.compile(value)
    except soupsieve.SelectorSyntaxError as error:
        raise ValueError(
            f"{value!r} is not a CSS selector: {_soupsieve_reason(error)} (at character {error.col}); {_SELECTOR_HELP}"
        ) from None
    except NotImplementedError as error:  # pseudo-elements (::before) and the like select no element
        raise ValueError(f"{value!r} selects no element ({_soupsieve_reason(error)}); {_SELECTOR_HELP}") from None
    return value


def _soupsieve_reason(error: Exception) -> str:
    """soupsieve's message without its position (counted from 0) and its copy of the selector."""
    reason = _POSITION.sub("", str(error).splitlines()[0])
    return reason[:1].lower() + reason[1:]


CssSelector = Annotated[str, AfterValidator(check_css_selector)]


class PageConfig(SourceConfig):
    type: Literal["page"]
    item_selector: CssSelector  # each story on the listing: its link, or the element holding it
    title_selector: CssSelector | None = None  # inside each item; default: its first heading, else its link's text
    date_selector: CssSelector | None = None  # inside each item; default: its first <time datetime>
    summary_selector: CssSelector | None = None  # inside each item; default: no summary

    @property
    def selectors(self) -> str:
        """The selectors, as one text: a checkpoint made under other selectors is not gone on from."""
        chosen = (self.item_selector, self.title_selector, self.date_selector, self.summary_selector)
        return "\n".join(selector or "" for selector in chosen)
