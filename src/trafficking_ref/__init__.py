"""trafficking-ref: an offline field reference for recognising human trafficking."""

__version__ = "0.1.0"
