"""Fitting hashers on stored features, writing codes, learning online."""
