"""`python -m kelisim`: the same entry point as the `kelisim` command."""

from kelisim.cli import entry

entry()
