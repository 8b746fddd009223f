"""Qt widgets: windows, panels and dialogs (wiring only; no SQL, no model code)."""
