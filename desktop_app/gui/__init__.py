"""The PySide6 window: composition root, tasks, controllers and views."""
