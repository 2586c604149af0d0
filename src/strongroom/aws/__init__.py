"""The AWS wire: models, SigV4, protocols, the gateway. Knows nothing about any one service."""
