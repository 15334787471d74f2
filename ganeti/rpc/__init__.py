"""ganeti.rpc package."""
