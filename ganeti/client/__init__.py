"""ganeti.client package."""
