"""Amazon EventBridge: buses, rules, targets, connections, API destinations on the kernel's bus."""
