"""Connection health over time: thresholds, transitions, root cause and recommended actions."""
