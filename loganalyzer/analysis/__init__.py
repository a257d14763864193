"""Analysis: from inputs to handshakes, facts and diagnoses.

Holds ``reading`` (inputs to events per MID Server), ``handshakes``, ``facts`` and
``diagnoses``. It may import the base modules, ``ingest``, ``jsse`` and ``mid``. It never imports
``ruleset``: ``diagnose`` takes the rules as a parameter, and ``loganalyzer.api`` composes the two.
"""
