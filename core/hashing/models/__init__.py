"""One hashing method per module; the registry maps keys to these classes."""
