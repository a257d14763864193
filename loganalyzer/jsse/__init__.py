"""JSSE: what the JDK's ``javax.net.debug`` output says, as typed events.

Holds the events, the Lark grammars, distinguished names (``dn``), the shared exception and alert
helpers (``exceptions``) and the dialects: JDK 11+ ``unified``, JDK 8 ``legacy`` and the app's
exception lines (``stacktraces``). It may import the base modules and ``ingest`` (records, lines);
no dialect imports another, their shared helpers live in ``exceptions``.
"""
