"""Built-in extractors. Each module registers itself with pledgeflow.registry."""
