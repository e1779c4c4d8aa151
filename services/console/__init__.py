"""The agents' console: the web page where customer-service agents take over handed-off conversations.

Its own process and mesh identity (`console`): it signs agents in (local argon2 accounts; an OIDC proxy can
stand in front, see docs/console.md), shows the support service's hand-off queue live, lets an agent take a
conversation, reply into the customer's support stream and close it, shows the customer's recent orders from
the profile service, and reveals a redacted value only on an explicit click, with the agent's purpose, through
the vault (which audits it). It keeps no state of its own: sessions are signed cookies.
"""
