"""Widgets of the main screen: filter form, delivery tree, details pane, sync progress."""
