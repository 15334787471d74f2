"""ganeti.confd package."""
