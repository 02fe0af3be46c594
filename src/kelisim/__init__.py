"""kelisim: measure, forecast, watch and show interethnic relations."""

__version__ = "0.1.0"
