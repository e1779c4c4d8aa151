"""Offline recommender building blocks shared by retrieval (#7) and ranking (#8): split, metrics, sources."""
