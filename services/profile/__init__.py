"""The profile and feature service: catalogue, behaviour event log, features as of event time, profiles."""
