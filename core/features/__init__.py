"""Encoders, image decoding, embedded metadata and caption readers."""
