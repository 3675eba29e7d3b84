"""tracktui: what happened to the mail your servers sent, in a terminal."""

__version__ = "0.1.0"


def engine() -> str:
    """How the parsers and correlator run: ``compiled with mypyc`` from a wheel build, else ``pure Python``."""
    from tracktui import correlate

    return "pure Python" if correlate.__file__.endswith(".py") else "compiled with mypyc"
