"""Qt-side owners of background work: each starts tasks and reports through signals."""
