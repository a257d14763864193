"""Ingest: from input paths to records, before anything knows what a record says.

Holds the sources (names and rotation, streams, archives, walking the inputs), the wrapper-prefix
decoding (``lines``), the record model and ``Dialect`` protocol (``records``) and the block-wise
``scanner``. It may import only the base modules (``errors``, ``vocabulary``, ``resources``):
dialects plug into the scanner through the protocol, so the scanner never names a later stage.
"""
