"""ganeti.utils package."""
