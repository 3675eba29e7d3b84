"""tracktui: what happened to the mail your servers sent, in a terminal."""

__version__ = "0.1.0"
