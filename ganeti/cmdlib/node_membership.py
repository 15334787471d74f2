"""Logical units (being written)."""
