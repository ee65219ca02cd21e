"""The file system side of ozarc: walking input trees, safe extraction, metadata restore."""
