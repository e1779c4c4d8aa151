"""The customer-service QA service (issue #9): intents, FAQ answers, the user's own orders, hand-off."""
