"""Triton Python-backend models, copied verbatim into the model repository (they import nothing of shopmesh:
the NGC container runs them with its own Python)."""
