"""Subcommands merged into their gnt-* program's table (being written)."""

COMMANDS = {}
