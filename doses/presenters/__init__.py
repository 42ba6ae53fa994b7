"""The words and numbers a page shows, built from selector results (one module per page).

Plain functions of plain values: no query, no write, tested without a database
(tests/doses/presenters/). Selectors return records and facts; services return what they
wrote; the sentences are here.
"""
