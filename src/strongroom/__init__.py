"""Strongroom: a self-hosted security and encryption plane that speaks the AWS wire protocols."""

__version__ = "0.1.0"
