"""ganeti.watcher package."""
