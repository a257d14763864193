"""Ingest: from input paths to records, before anything knows what a record says.

Holds the sources, behind their public face ``sources``: which names are logs (``names``), what
the first bytes say (``content``), streams that end cleanly at damage or a limit (``streams``),
compression and zip and tar read as streams (``archives``) and the walk over files, folders,
globs and stdin (``walk``). Then the wrapper-prefix decoding (``lines``), the record model and
``Dialect`` protocol (``records``), the block-wise ``scanner``, the candidate lines GNU grep
finds for it (``candidates``) and one large file read on all cores (``split``). It may import only
the base modules (``errors``, ``vocabulary``, ``resources``): dialects plug into the scanner
through the protocol, so the scanner never names a later stage.
"""
