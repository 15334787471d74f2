"""Ganeti cluster virtualization manager (Python re-implementation)."""
