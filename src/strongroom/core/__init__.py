"""The kernel every service shares: store, IAM, crypto, audit, scheduler, clock."""
