"""MID: what the MID Server itself writes, beside the JSSE debug output.

Holds the agent-log lines (``agentlog``) and the MID's own lines in the wrapper log
(``midlog``), both read into the events of ``jsse``, and the MID Server's ``config.xml``
(``config``). It may import the base modules, ``ingest`` and ``jsse``.
"""
