"""AWS Key Management Service: keys, aliases, grants, and the cryptography behind them."""
