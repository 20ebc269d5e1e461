"""duban (督办): the doors to the system. The ``duban`` command line for
coordinators and operators lives here (later also the web pages); it reads
files through ``plans``, keeps state through ``ledger`` and starts ``flows``.
Messages are Chinese, because the people who read them are."""

import os

# Prefect's usage data and its English first-run notice stay off in every duban process,
# whichever module imports Prefect first (see flows/__init__.py).
os.environ.setdefault("DO_NOT_TRACK", "1")
