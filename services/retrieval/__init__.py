"""The retrieval service (#7): candidate sources, hybrid search, FAISS snapshots with hot swap, shards."""
