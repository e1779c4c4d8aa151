"""The user's own records: item detail, orders (profile) and the profile with its PII (vault tokens <-> clear)."""

from __future__ import annotations

import json
import re
from typing import Any

import grpc

from gateway.degradation import Degraded, PeerDown
from gateway.errors import relay
from gateway.search import check_item_id, unknown_item
from shared.errors import FieldViolation, InvalidArgument, Unavailable
from shopmesh.gateway.v1 import gateway_service_pb2 as pb
from shopmesh.profile.v1 import profile_service_pb2 as profile_pb
from shopmesh.vault.v1 import vault_service_pb2 as vault_pb

ORDER_ID_RE = re.compile(r"^#?[Aa](\d{5})$")
READ_PURPOSE = "gateway.read_profile"
STORE_PURPOSE = "gateway.store_profile"
PROFILE_FIELDS = ("display_name", "email", "phone", "addresses", "preferences")


def unavailable(dependency: str, what: str) -> Unavailable:
    """UNAVAILABLE DEPENDENCY_UNAVAILABLE for a dependency the RPC cannot degrade around."""
    return Unavailable(f"{what} is unavailable right now; retry later", reason="DEPENDENCY_UNAVAILABLE",
                       domain="shopmesh.gateway", metadata={"dependency": dependency})


def normalise_order_id(order_id: str) -> str:
    """"A" + five digits ("#a10023" accepted); INVALID_ARGUMENT MALFORMED_ORDER_ID otherwise."""
    match = ORDER_ID_RE.match(order_id.strip())
    if match is None:
        raise InvalidArgument("order_id must be 'A' and five digits",
                              [FieldViolation("order_id", "MALFORMED_ORDER_ID")], reason="MALFORMED_ORDER_ID",
                              domain="shopmesh.gateway")
    return f"A{match.group(1)}"


def _address_json(address: pb.Address) -> str:
    return json.dumps({"label": address.label, "recipient_name": address.recipient_name,
                       "recipient_phone": address.recipient_phone, "lines": list(address.address_lines),
                       "city": address.city, "region": address.region, "postal_code": address.postal_code,
                       "country": address.country_code}, ensure_ascii=False, sort_keys=True)


def _address_from_json(text: str, saved: profile_pb.SavedAddress) -> pb.Address:
    try:
        raw = json.loads(text)
    except ValueError:
        raw = {}
    raw = raw if isinstance(raw, dict) else {}
    return pb.Address(address_id=saved.address_id, label=saved.label, recipient_name=str(raw.get("recipient_name", "")),
                      recipient_phone=str(raw.get("recipient_phone", "")),
                      address_lines=[str(x) for x in raw.get("lines", [])], city=str(raw.get("city", "")),
                      region=str(raw.get("region", "")), postal_code=str(raw.get("postal_code", "")),
                      country_code=saved.country_code or str(raw.get("country", "")), is_default=saved.is_default)



def _derived_address_id(token: str) -> str:
    """The id of an address saved without one, derived from its content as the contract promises: from its
    vault token (convergent per user and value, so a repeated request gives the same id, and keyed, so the id
    reveals nothing about the address)."""
    return "addr-" + token.removeprefix("tok_")[:16] if token else ""

class Account:
    """Item detail, orders and profile for the authenticated user."""

    def __init__(self, clients: Any, default_catalog: str):
        self._clients = clients
        self._default_catalog = default_catalog

    async def _profile(self, method: str, request: Any, caller: Any, what: str, share: float = 0.8) -> Any:
        try:
            return await self._clients.call("profile", method, request, caller.metadata, share=share)
        except PeerDown as down:
            raise unavailable("profile", what) from down
        except grpc.aio.AioRpcError as exc:
            raise relay(exc) from exc

    async def get_item(self, caller: Any, request: pb.GetItemRequest) -> pb.GetItemResponse:
        """One item with description and attributes; NOT_FOUND UNKNOWN_ITEM."""
        check_item_id(request.item_id)
        response = await self._profile("GetItems", profile_pb.GetItemsRequest(
            catalog_id=request.catalog_id, item_ids=[request.item_id]), caller, "the catalogue")
        if not response.results or response.results[0].missing:
            raise unknown_item(request.item_id)
        return pb.GetItemResponse(item=response.results[0].item)

    async def list_orders(self, caller: Any, request: pb.ListOrdersRequest, size: int) -> pb.ListOrdersResponse:
        """The user's orders, newest first (profile's paging; its tokens are bound to the user there)."""
        response = await self._profile("ListOrders", profile_pb.ListOrdersRequest(
            user_id=caller.user_id, page_size=size, page_token=request.page_token), caller, "orders")
        return pb.ListOrdersResponse(orders=list(response.orders), next_page_token=response.next_page_token)

    async def get_order(self, caller: Any, request: pb.GetOrderRequest) -> pb.GetOrderResponse:
        """One of the user's orders and its masked shipping address (empty when the vault is down)."""
        order_id = normalise_order_id(request.order_id)
        response = await self._profile("GetOrder", profile_pb.GetOrderRequest(user_id=caller.user_id,
                                                                              order_id=order_id), caller, "orders")
        masked = ""
        if response.shipping_address_token:
            values = await self._detokenize(caller, [response.shipping_address_token], vault_pb.DISCLOSURE_MASKED)
            masked = values.get(response.shipping_address_token, ("", ""))[1] if values else ""
        return pb.GetOrderResponse(order=response.order, shipping_address_masked=masked)

    async def _detokenize(self, caller: Any, tokens: list[str],
                          disclosure: int) -> dict[str, tuple[str, str]] | None:
        """token -> (clear, masked); None when the vault is down."""
        if not tokens:
            return {}
        try:
            response = await self._clients.call("vault", "Detokenize", vault_pb.DetokenizeRequest(
                tokens=tokens, purpose=READ_PURPOSE, max_disclosure=vault_pb.Disclosure.ValueType(disclosure)),
                caller.metadata, share=0.5)
        except PeerDown:
            return None
        except grpc.aio.AioRpcError as exc:
            if exc.code() == grpc.StatusCode.NOT_FOUND:
                return {}
            raise relay(exc) from exc
        return {v.token: (v.value, v.masked_value) for v in response.values}

    async def get_profile(self, caller: Any) -> pb.GetProfileResponse:
        """The profile in clear; FIELDS_OMITTED degradation when the vault is down."""
        response = await self._profile("GetProfile", profile_pb.GetProfileRequest(user_id=caller.user_id), caller,
                                       "the profile", share=0.4)
        return await self._to_user_profile(caller, response.profile)

    async def _to_user_profile(self, caller: Any, stored: profile_pb.Profile) -> pb.GetProfileResponse:
        tokens = [t for t in (stored.display_name_token, stored.email_token, stored.phone_token) if t]
        tokens += [a.address_token for a in stored.addresses if a.address_token]
        values = await self._detokenize(caller, tokens, vault_pb.DISCLOSURE_CLEAR)
        degradations = []
        if values is None:
            degradations.append(Degraded("vault", pb.DEGRADATION_CAUSE_UNAVAILABLE, pb.FALLBACK_FIELDS_OMITTED,
                                         "vault: personal fields omitted").to_proto())
            values = {}

        def clear(token: str) -> str:
            return values.get(token, ("", ""))[0] if token else ""

        profile = pb.UserProfile(
            display_name=clear(stored.display_name_token), email=clear(stored.email_token),
            phone=clear(stored.phone_token),
            addresses=[_address_from_json(clear(a.address_token), a) for a in stored.addresses],
            preferences=stored.preferences, consent=stored.consent)
        if stored.HasField("create_time"):
            profile.create_time.CopyFrom(stored.create_time)
        if stored.HasField("update_time"):
            profile.update_time.CopyFrom(stored.update_time)
        return pb.GetProfileResponse(profile=profile, degradations=degradations)

    async def update_profile(self, caller: Any, request: pb.UpdateProfileRequest) -> pb.UpdateProfileResponse:
        """Tokenizes the new PII in the vault, then updates profile with the tokens (field-mask semantics)."""
        paths = list(request.update_mask.paths)
        bad = [p for p in paths if p.split(".", 1)[0] not in PROFILE_FIELDS]
        if not paths or bad:
            raise InvalidArgument("update_mask names unknown or no fields",
                                  [FieldViolation("update_mask", f"UNKNOWN_FIELD: {p}") for p in bad]
                                  or [FieldViolation("update_mask", "REQUIRED")], domain="shopmesh.gateway")
        new = request.profile
        values: list[tuple[str, int, str]] = []
        for name, pii, value in (("display_name", vault_pb.PII_TYPE_NAME, new.display_name),
                                 ("email", vault_pb.PII_TYPE_EMAIL, new.email),
                                 ("phone", vault_pb.PII_TYPE_PHONE, new.phone)):
            if name in paths and value:
                values.append((name, pii, value))
        if "addresses" in paths:
            values += [(f"addresses[{i}]", vault_pb.PII_TYPE_ADDRESS, _address_json(a))
                       for i, a in enumerate(new.addresses)]
        tokens: dict[str, str] = {}
        if values:
            try:
                response = await self._clients.call("vault", "Tokenize", vault_pb.TokenizeRequest(
                    subject_id=caller.user_id, purpose=STORE_PURPOSE,
                    values=[vault_pb.PiiValue(type=vault_pb.PiiType.ValueType(t), value=v) for _, t, v in values]),
                    caller.metadata, share=0.4)
            except PeerDown as down:
                raise unavailable("vault", "saving personal data") from down
            except grpc.aio.AioRpcError as exc:
                raise relay(exc) from exc
            tokens = {name: t.token for (name, _, _), t in zip(values, response.tokens, strict=True)}
        stored = profile_pb.Profile(
            user_id=caller.user_id, display_name_token=tokens.get("display_name", ""),
            email_token=tokens.get("email", ""), phone_token=tokens.get("phone", ""),
            addresses=[profile_pb.SavedAddress(address_id=a.address_id or _derived_address_id(
                                                   tokens.get(f"addresses[{i}]", "")), label=a.label,
                                               address_token=tokens.get(f"addresses[{i}]", ""),
                                               country_code=a.country_code, is_default=a.is_default)
                       for i, a in enumerate(new.addresses)],
            preferences=new.preferences)
        mask_paths = [{"display_name": "display_name_token", "email": "email_token",
                       "phone": "phone_token"}.get(p, p) for p in paths]
        update = profile_pb.UpdateProfileRequest(user_id=caller.user_id, profile=stored, allow_missing=True)
        update.update_mask.paths.extend(mask_paths)
        response = await self._profile("UpdateProfile", update, caller, "the profile", share=0.5)
        return pb.UpdateProfileResponse(profile=(await self._to_user_profile(caller, response.profile)).profile)
