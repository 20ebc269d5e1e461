"""Prefect flows that run the plans: the daily supervise sweep, the checks on a
plan's check dates, the look-back (回头看) and the dispatcher of the notice
outbox, plus the code that compiles each plan into a handful of deployments.
Flows are thin: they orchestrate plain functions over the ledger that are
tested without Prefect. (Being built under issue #3.)"""
