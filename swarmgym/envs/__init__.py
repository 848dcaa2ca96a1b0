"""The four model families, one folder each: config, dynamics, metrics, render."""
