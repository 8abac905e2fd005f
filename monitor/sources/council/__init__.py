"""What the council meeting sources (ModernGov, CMIS) share.

Council systems send no ETag or Last-Modified, so change detection is by content. Each system is read into the same
model (``model``: meetings, agenda items, documents); ``diff`` decides, as pure functions of what was read and what
the source remembers (``memory``, its checkpoint), what is new; ``events`` turns that into Items; ``poll`` does the
reading and downloading in between. ``dates`` reads dates and times as council systems write them.
"""
