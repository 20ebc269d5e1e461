"""Prefect flows that run the plans: the daily supervise sweep, the checks on a
plan's check dates, the look-back (回头看) and the dispatcher of the notice
outbox, plus the code that compiles each plan into a handful of deployments.
Flows are thin: they orchestrate plain functions over the ledger that are
tested without Prefect. (Being built under issue #3.)"""

import os

# No usage data leaves the machine, and Prefect's first-run notice about it (English, on
# the first interactive `duban up`) is not printed: the server side is off in
# flows/server.py, the client side here, before anything imports Prefect.
os.environ.setdefault("DO_NOT_TRACK", "1")
