"""Settings of the agents' console (env prefix SHOPMESH_CONSOLE_)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings
from shopmesh import paths


class ConsoleSettings(ServiceSettings):
    """Settings of the console; every field is `SHOPMESH_CONSOLE_<NAME>` in the environment.

    `port` is the web page's HTTP port (TLS ends at the ingress in a cluster); health stays gRPC on
    `health_port` like every service, and the peers are called over mTLS with the `console` identity.
    """

    model_config = SettingsConfigDict(env_prefix="SHOPMESH_CONSOLE_", extra="ignore", frozen=True)

    service_name: str = Field("console", description="The service's mesh identity.")
    support_address: str = Field(description="host:port of the support service (the hand-off queue).")
    profile_address: str = Field(description="host:port of the profile service (the customer's orders).")
    vault_address: str = Field(description="host:port of the vault (reveals, audited).")
    accounts_file: Path = Field(default_factory=lambda: paths.home() / "console" / "accounts.yaml",
                                description="The agents' local accounts (YAML; argon2 password hashes), re-read "
                                "when it changes. `shopmesh console add-agent` writes it.")
    session_secret_file: Path = Field(
        default_factory=lambda: paths.home() / "console" / "session.key",
        description="Key that signs session cookies (32+ random bytes). Shared by every replica (a Secret in the "
        "chart); created with mode 0600 when missing and create_session_secret is true.")
    create_session_secret: bool = Field(True, description="Create session_secret_file when it is missing "
                                        "(single-replica and local runs; the chart mounts a Secret instead).")
    session_idle_seconds: int = Field(1800, gt=0, description="A session ends after this long without a request.")
    session_max_seconds: int = Field(12 * 3600, gt=0, description="A session ends this long after sign-in.")
    cookie_secure: bool = Field(True, description="Mark cookies Secure (HTTPS only). False only for plain-HTTP "
                                "local runs on 127.0.0.1.")
    max_reply_chars: int = Field(4000, ge=1, le=4000, description="Longest agent reply, in code points (support "
                                 "accepts 4,000).")
    max_request_bytes: int = Field(64 * 1024, gt=0, description="Largest HTTP request body.")
    login_failures_before_lock: int = Field(5, ge=1, description="Failed sign-ins of one account before it locks.")
    login_lock_seconds: int = Field(300, gt=0, description="How long a locked account refuses sign-ins.")
    auth_proxy_header: str = Field(
        "", description="OIDC hook: the request header in which a trusted authenticating proxy (e.g. oauth2-proxy "
        "in front of the console) names the signed-in agent, e.g. X-Auth-Request-Preferred-Username. The name must "
        "be an agent id of the accounts file, which still holds the permissions. Empty: local sign-in only.")
    auth_proxy_networks: list[str] = Field(
        default_factory=list, description="Client networks (CIDR) of that proxy; the header from anywhere else is "
        "ignored. Required when auth_proxy_header is set.")
    peer_timeout_ms: int = Field(3000, gt=0, description="Deadline of one support, profile or vault call.")
    recent_orders: int = Field(5, ge=0, le=20, description="Orders shown beside a conversation.")

    @model_validator(mode="after")
    def _proxy_needs_networks(self) -> ConsoleSettings:
        if self.auth_proxy_header and not self.auth_proxy_networks:
            raise ValueError("SHOPMESH_CONSOLE_AUTH_PROXY_NETWORKS is required with SHOPMESH_CONSOLE_AUTH_PROXY_HEADER")
        return self
