"""One home per use case: supervise now, check now, issue documents, dispatch now.

The CLI (duban/), the pages (web/) and the Prefect flows (flows/) are doors: each
calls these plain functions and only says what happened in its own way (a table,
a page, a run log). Nothing here imports Prefect, so `duban sweep` and
`duban dispatch` start without it.
"""
