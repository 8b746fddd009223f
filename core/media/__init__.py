"""Photo files: decoding, embedded metadata, caption files and sidecars."""
