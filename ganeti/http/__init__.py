"""ganeti.http package."""
