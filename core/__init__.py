"""HashLens core: no Qt, no printing; typed errors with user messages."""

__version__ = "0.1.0"
