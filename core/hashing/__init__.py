"""Cross-modal hashing: the Hasher interface, codes, metrics and methods."""
