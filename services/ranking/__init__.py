"""The ranking service (#8): a learned ranker, diversity, business rules and reasons."""
