"""Self-check: certificate files, config.xml and the instance's TLS endpoint, combined with the logs.

Holds ``findings`` (the model every check reports in), ``certs``, ``midconfig``, ``probe`` and
``combine``. The checks import ``findings`` and ``combine`` imports the checks, so there is no
cycle. It may import the base modules, ``ingest``, ``jsse``, ``mid``, ``analysis`` and
``ruleset``; not ``batch``, its sibling.
"""
