"""Self-check: certificate files, config.xml and the instance's TLS endpoint, with the logs.

Each part describes its input as set-up facts (``certs``, ``midconfig``, ``probe``), ``diagnose``
judges them with the rules of ``rules/setup/`` into the same diagnoses as the log rules, and
``combine`` runs the parts, cross-checks the certificate chain against the instance's CA names
and makes one report document. It may import the base modules, ``ingest``, ``jsse``, ``mid``,
``analysis`` and ``ruleset``; not ``batch``, its sibling.
"""
