"""Model artifacts: manifests (reused by every artifact of the mesh), the Triton model repository build, and
the local `tritonserver` from the nvidia-pytriton wheel."""
