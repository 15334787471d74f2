"""ganeti.server package."""
