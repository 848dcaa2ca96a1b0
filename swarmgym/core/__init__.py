"""Shared core: batched randomness, the window operator, the model base, adapters and rendering."""
