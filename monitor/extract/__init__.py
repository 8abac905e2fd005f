"""The extract stage: the text worth matching out of what was fetched. ``html`` reads article pages and HTML fragments,
``pool`` reads article pages in other processes, ``pdf`` reads PDFs page by page, ``documents`` reads a council
document by what its bytes are."""

from monitor.extract.html import Article, html_to_text, read_article, reset_caches
from monitor.extract.pool import ARTICLES, ArticleReader

__all__ = ["ARTICLES", "Article", "ArticleReader", "html_to_text", "read_article", "reset_caches"]
