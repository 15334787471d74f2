"""ganeti.hypervisor package."""
