"""The ``hashlens`` command line: argument parsing, wording of errors, terminal output."""
