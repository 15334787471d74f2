"""ganeti.storage package."""
