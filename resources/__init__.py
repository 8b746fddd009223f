"""Packaged resources: default configuration, icons, licences."""
