"""Batch: whole MID Servers as tasks, run on an executor and gathered into one pandas table.

Holds ``tasks`` (tasks, scan, the table and its writers) and ``executors`` (serial, process pool,
Dask). It may import the base modules, ``ingest``, ``jsse``, ``mid``, ``analysis`` and
``ruleset``; not ``selfcheck``, its sibling. pandas is imported only inside the functions that
build the table.
"""
