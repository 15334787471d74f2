"""ganeti.cmdlib package."""
