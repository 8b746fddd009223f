"""Search over stored features (exact float now; Hamming codes later)."""
