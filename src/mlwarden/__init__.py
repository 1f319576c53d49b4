"""mlwarden: supply-chain guard rails for machine-learning projects."""

__version__ = "0.1.0"
