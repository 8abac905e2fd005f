"""ModernGov (Civica modern.gov) council meeting systems: agenda items, minutes, documents and decisions.

Read through the site's web service (``web_service``) when it answers, otherwise through its HTML pages (``pages``).
Both ways give the same keys (meeting id, agenda item id, attachment id), so a switch between them never reports
anything twice. Decisions (``decisions``) come from the HTML pages either way. ``source`` chooses and drives them;
``checkpoint`` is what it goes on from; ``model`` holds the entry's settings model, read without the rest.
"""
