"""The ozarc container: on-disk records, the writer, the reader, recovery and chunk layout.

``framing``/``records``/``index``/``packed`` are the format (FORMAT.md); ``chunking`` and
``layout`` decide where bytes go; ``prepare``/``compress``/``pool`` do the parallel work;
``create``, ``reader``, ``recover`` and ``verify`` are the operations behind ``ozarc.api``.
"""
