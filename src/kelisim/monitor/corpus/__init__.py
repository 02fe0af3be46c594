"""Constructed training corpus of the shipped model (see docs/annotation.md)."""
