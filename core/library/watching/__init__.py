"""Live folder watching: file events in, one incremental index run out (no Qt here)."""
