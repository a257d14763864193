"""Analysis: from inputs to handshakes, facts and diagnoses.

Holds ``reading`` (inputs to events per MID Server), ``selection`` (the ``--since``/``--until``
/``--last-jvm`` window over a reading), ``handshakes``, ``facts``, ``diagnoses``, and
``setup_facts`` (the facts of the set-up checks, which the rules are written against too).
It may import the base modules, ``ingest``, ``jsse`` and ``mid``. It never imports ``ruleset``:
``diagnose`` takes the rules as a parameter, and ``loganalyzer.api`` composes the two.
"""
