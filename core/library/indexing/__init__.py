"""Scanning folders, decoding photos and writing features to the library."""
