"""ganeti.rapi package."""
