"""Experiment analysis: per-variant CTR and conversion with confidence intervals, and sample-ratio checks."""
