"""Schema step 7: the links of stored items in their identity form of today (``monitor.urls.identity_link``).

Before it, a link was known by an older form: host in lower case, tracking parameters and fragment removed, the
query parameters decoded, sorted and encoded again by Python's urllib, no trailing slash (``_old_form``, kept here as
that version had it). Each stored key made of a link gains its form of today, which is the same whether it is made
from the link or from its old form: the old rules only ever removed, sorted or re-encoded what the new ones remove,
sort or re-encode too (tests/test_links.py checks it). The exception is a percent-escape that is not UTF-8, which the
old form replaced; such a link may be reported once more. The story keys of articles' links are made again likewise.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.engine import Connection

from monitor.items import LINK_KEY, link_key
from monitor.store.schema import item_keys_table, items_table, story_keys_table
from monitor.stories import link_story_key
from monitor.urls import identity_link, is_named

_CHUNK = 1000
# The tracking parameters of that version, kept as they were: the step computes what that version did.
_OLD_TRACKING = ("utm_*", "at_*", "fbclid", "gclid", "mc_cid", "mc_eid", "ocid", "ref", "cmpid", "icid")


def relink(connection: Connection) -> None:
    _add_link_keys(connection)
    _remake_link_story_keys(connection)


def _add_link_keys(connection: Connection) -> None:
    """Give every stored link key its form of today, under the item it belongs to, unless its source already has it."""
    rows = connection.execute(
        select(item_keys_table.c.source_id, item_keys_table.c.key, item_keys_table.c.item_id)
        .where(item_keys_table.c.key.startswith(LINK_KEY))
        .order_by(item_keys_table.c.item_id)
    ).all()
    known = {(source_id, key) for source_id, key, _ in rows}
    added = []
    for source_id, key, item_id in rows:
        today = link_key(key.removeprefix(LINK_KEY))
        if (source_id, today) not in known:
            known.add((source_id, today))
            added.append({"source_id": source_id, "key": today, "item_id": item_id})
    for chunk in _chunks(added):
        connection.execute(insert(item_keys_table), chunk)


def _remake_link_story_keys(connection: Connection) -> None:
    """Replace the link key of every article that still has story keys by the key of its link's form of today."""
    with_prints = select(story_keys_table.c.item_id).distinct()
    rows = connection.execute(select(items_table.c.id, items_table.c.url).where(items_table.c.id.in_(with_prints)))
    changes = []
    for item_id, url in rows:
        old, new = link_story_key(_old_form(url)), link_story_key(identity_link(url))
        if url.strip() and old != new:
            changes.append({"item": item_id, "old": old, "new": new})
    statement = (
        update(story_keys_table)
        .where(story_keys_table.c.item_id == bindparam("item"), story_keys_table.c.key == bindparam("old"))
        .values(key=bindparam("new"))
    )
    for chunk in _chunks(changes):
        connection.execute(statement, chunk)


def _old_form(url: str) -> str:
    """A link's identity form before schema step 7, as that version made it."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return url  # that version could not store such a link at all
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not is_named(k, _OLD_TRACKING)]
    path = parts.path.rstrip("/") or "/"
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, urlencode(sorted(query)), ""))


def _chunks(rows: list[dict[str, object]]) -> list[list[dict[str, object]]]:
    return [rows[start : start + _CHUNK] for start in range(0, len(rows), _CHUNK)]
