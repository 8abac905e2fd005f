"""The extract stage: the text worth matching out of fetched documents. HTML pages here; PDF documents join later."""

from monitor.extract.html import extract_article, html_to_text, one_line, reset_caches

__all__ = ["extract_article", "html_to_text", "one_line", "reset_caches"]
