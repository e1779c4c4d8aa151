"""The embedding service (`shopmesh.embedding.v1`): text vectors from the mesh's encoders, served by Triton
or in process, with request coalescing, a bounded cache and limits."""
