"""Evaluation over seeds with confidence intervals, and the leaderboard built from real runs."""
