"""Screens: login, main, help, raw log, host-key dialog."""
