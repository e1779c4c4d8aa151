"""The learned ranker (#8): featurisation shared by training and serving, replayed examples, model, artifact."""
