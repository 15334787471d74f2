"""ganeti.tools package."""
