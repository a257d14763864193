"""loganalyzer: why mutual TLS between a ServiceNow MID Server and its instance fails.

The library never prints or exits; ``loganalyzer.cli`` is the thin command-line layer.
"""

__version__ = "0.1.0"
