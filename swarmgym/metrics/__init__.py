"""Cross-env pure metrics: social outcomes (gini, Perolat U/E/S/P) and statistics (bootstrap CIs, IQM)."""
