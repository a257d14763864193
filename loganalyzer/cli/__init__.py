"""Command-line layer: parses options, calls the library, hands results to a reporter.

Exit codes (also in the README):
    0  no error or warning diagnosed (or nothing to report)
    1  at least one diagnosis at or above the ``--fail-on`` severity
    2  usage error, unreadable input, or a broken rule file
"""

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_ERROR = 2
