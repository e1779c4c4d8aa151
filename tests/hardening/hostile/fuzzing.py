"""The fuzzing harness: hypothesis strategies that write protobuf wire bytes straight from the generated
descriptors (so a request may carry what python protobuf refuses to serialize: invalid UTF-8, unknown fields,
wrong wire types, groups nested past the parser's recursion limit, truncation), the callers each service
authorizes, and a client that sends raw bytes to any RPC of the mesh and times the answer.

Every RPC is found from the generated `*_service_pb2.DESCRIPTOR.services_by_name`, so a new RPC is fuzzed
without touching this file; only who may call it (`AUTH`) and which field values reach past validation
(`hints`) are per service.
"""

from __future__ import annotations

import math
import re
import struct
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path
from typing import Literal

import grpc
from google.protobuf.descriptor import Descriptor, FieldDescriptor, MethodDescriptor
from grpc_health.v1 import health_pb2
from grpc_reflection.v1alpha import reflection_pb2
from hypothesis import strategies as st

from gateway.auth import mint_token
from shared.tls import TlsFiles, channel_credentials
from shared.usercontext import METADATA_KEY as USER_CONTEXT_KEY
from shared.usercontext import UserContextSigner
from shopmesh.certs import DEV_JWT_PRIVATE, USER_CONTEXT_PRIVATE, ensure_certs

SERVICES = ("gateway", "profile", "retrieval", "ranking", "support", "vault", "embedding")
"""The mesh's gRPC services (the console serves a web page, no gRPC API)."""
MAX_MESSAGE_BYTES = 16 * 1024 * 1024
"""The services' `max_message_bytes` (shared.settings default): the largest request a server accepts."""
UNARY_DEADLINE_S = 5.0
WATCH_DEADLINE_S = 1.5
"""A watch (a server stream that never ends by itself) is read to its first answer, within this deadline."""
SLACK_S = 2.0
"""How far past its deadline a call may come back before it counts as a hang."""
FUZZ_USERS = ("fuzz-u1", "fuzz-u2")
"""End users the fuzzer acts for; never a MovieLens user (`u<n>`), so other suites' users stay untouched."""
INTRUDER = "intruder"
"""A mesh certificate no service authorizes for anything."""

# ---------------------------------------------------------------------------------------------------------
# Who may call what (each service's authz): identity, whether a user context / JWT goes with the call, and
# field hints (values that pass validation, so fuzzing reaches the servicer's logic).


@dataclass(frozen=True)
class Auth:
    """An authorized caller of one RPC.

    Attributes:
        identity: the client certificate's mesh identity.
        user: whether the call carries the end user (a gateway-signed user context; a JWT at the gateway).
        purposes: the vault purposes this caller's policy grants for the RPC (the `purpose` field's hints).
        agent: whether an agent id (`acting_agent_id`) goes with the call.
    """

    identity: str
    user: bool = False
    purposes: tuple[str, ...] = ()
    agent: bool = False


DEFAULT_AUTH: dict[str, Auth] = {
    "gateway": Auth("cli", user=True),
    "profile": Auth("gateway", user=True),
    "retrieval": Auth("gateway", user=True),
    "ranking": Auth("gateway", user=True),
    "support": Auth("gateway", user=True),
    "vault": Auth("cli"),
    "embedding": Auth("retrieval"),
}
AUTH: dict[tuple[str, str], Auth] = {
    # profile: catalogue writers, log readers, order feeds and order systems (services/profile/settings.py).
    ("profile", "UpsertItems"): Auth("loader"),
    ("profile", "ReadEvents"): Auth("trainer"),
    ("profile", "ApplyOrderEvents"): Auth("orders"),
    ("profile", "ListOutboxEntries"): Auth("orders"),
    ("profile", "AckOutboxEntries"): Auth("orders"),
    ("profile", "GetUserFeatures"): Auth("ranking"),
    ("profile", "GetItemFeatures"): Auth("ranking"),
    # support: the agent RPCs are the console's (support_console_identities).
    **{("support", name): Auth("console") for name in (
        "ListHandoffs", "GetHandoff", "TakeHandoff", "AgentReply", "CloseHandoff", "WatchHandoffs")},
    # vault: services/vault/policy.yaml (admins: cli, ops).
    ("vault", "Tokenize"): Auth("gateway", user=True, purposes=("gateway.store_profile",)),
    ("vault", "Detokenize"): Auth("console", agent=True, purposes=(
        "console.view_customer", "console.reveal_customer_value", "console.reveal_to_verify_identity")),
    ("vault", "LookupByValue"): Auth("console", purposes=("console.identify_customer",)),
    ("vault", "Redact"): Auth("support", user=True, purposes=("support.store_transcript",)),
    ("vault", "ExportSubject"): Auth("gateway", user=True, purposes=("gateway.export_my_data",)),
    ("vault", "ForgetSubject"): Auth("ops", purposes=("ops.erasure_request",)),
    ("vault", "RotateKeys"): Auth("cli", purposes=("ops.scheduled_rotation",)),
}
IDENTITIES = tuple(sorted({a.identity for a in (*DEFAULT_AUTH.values(), *AUTH.values())} | {INTRUDER}))


def auth_for(service: str, method: str) -> Auth:
    """The authorized caller of an RPC (health and reflection: the service's usual caller, no end user)."""
    if "/" in method:
        return Auth(DEFAULT_AUTH[service].identity)
    return AUTH.get((service, method), DEFAULT_AUTH[service])


# ---------------------------------------------------------------------------------------------------------
# The RPCs, from the descriptors.


@dataclass(frozen=True)
class Rpc:
    """One RPC of the mesh: of a service's own API, or of the health and reflection services every main port
    serves beside it (`infra`; named `<proto service>/<method>`)."""

    service: str
    method: MethodDescriptor
    infra: bool = False

    @property
    def name(self) -> str:
        if self.infra:
            return f"{self.method.containing_service.full_name}/{self.method.name}"
        return self.method.name

    @property
    def path(self) -> str:
        return f"/{self.method.containing_service.full_name}/{self.method.name}"

    @property
    def client_streaming(self) -> bool:
        return bool(self.method.client_streaming)

    @property
    def server_streaming(self) -> bool:
        return bool(self.method.server_streaming)

    @property
    def side_effects(self) -> bool:
        """Whether the proto does not mark it NO_SIDE_EFFECTS (so hints never name real catalogue items)."""
        return int(self.method.GetOptions().idempotency_level) != 1

    @property
    def watch(self) -> bool:
        """A server stream that only ends when the caller cancels (or the deadline comes)."""
        return self.server_streaming and not self.client_streaming and self.method.name.startswith("Watch")

    @property
    def deadline_s(self) -> float:
        return WATCH_DEADLINE_S if self.watch else UNARY_DEADLINE_S


INFRA_SERVICES = (health_pb2.DESCRIPTOR.services_by_name["Health"],
                  reflection_pb2.DESCRIPTOR.services_by_name["ServerReflection"])
"""Served on every main port by the kit (shared/server.py) beside the service's own API."""


def mesh_rpcs(services: Sequence[str] = SERVICES, *, infra: bool = True) -> list[Rpc]:
    """Every RPC of every gRPC service, from `shopmesh.<service>.v1.<service>_service_pb2`, then (`infra`) the
    health and reflection RPCs of each service's main port."""
    rpcs: list[Rpc] = []
    for service in services:
        module = import_module(f"shopmesh.{service}.v1.{service}_service_pb2")
        for svc in module.DESCRIPTOR.services_by_name.values():
            rpcs.extend(Rpc(service, method) for method in svc.methods)
    if infra:
        rpcs += [Rpc(service, method, infra=True) for service in services for svc in INFRA_SERVICES
                 for method in svc.methods]
    return rpcs


# ---------------------------------------------------------------------------------------------------------
# Wire encoding.

F = FieldDescriptor
_VARINT_TYPES = {F.TYPE_INT32, F.TYPE_INT64, F.TYPE_UINT32, F.TYPE_UINT64, F.TYPE_BOOL, F.TYPE_ENUM,
                 F.TYPE_SINT32, F.TYPE_SINT64}
_FIXED32 = {F.TYPE_FIXED32, F.TYPE_SFIXED32, F.TYPE_FLOAT}
_FIXED64 = {F.TYPE_FIXED64, F.TYPE_SFIXED64, F.TYPE_DOUBLE}
_RANGES = {
    F.TYPE_INT32: (-(2**31), 2**31 - 1), F.TYPE_INT64: (-(2**63), 2**63 - 1),
    F.TYPE_UINT32: (0, 2**32 - 1), F.TYPE_UINT64: (0, 2**64 - 1),
    F.TYPE_SINT32: (-(2**31), 2**31 - 1), F.TYPE_SINT64: (-(2**63), 2**63 - 1),
    F.TYPE_FIXED32: (0, 2**32 - 1), F.TYPE_SFIXED32: (-(2**31), 2**31 - 1),
    F.TYPE_FIXED64: (0, 2**64 - 1), F.TYPE_SFIXED64: (-(2**63), 2**63 - 1), F.TYPE_BOOL: (0, 1),
}
WT_VARINT, WT_I64, WT_LEN, WT_SGROUP, WT_EGROUP, WT_I32 = 0, 1, 2, 3, 4, 5
RECURSION_LIMIT = 100
"""upb's default parse depth; deeper nesting must be refused as a bad request, not crash or hang."""


def varint(value: int) -> bytes:
    """Base-128 varint of a (two's complement, 64-bit) integer."""
    value &= (1 << 64) - 1
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def tag(number: int, wire_type: int) -> bytes:
    return varint((number << 3) | wire_type)


def length_delimited(number: int, payload: bytes) -> bytes:
    return tag(number, WT_LEN) + varint(len(payload)) + payload


def _zigzag(value: int, bits: int) -> int:
    return ((value << 1) ^ (value >> (bits - 1))) & ((1 << bits) - 1)


def scalar_payload(kind: int, value: object) -> bytes:
    """The encoded value of a scalar (no tag)."""
    if kind in (F.TYPE_SINT32, F.TYPE_SINT64):
        return varint(_zigzag(int(value), 32 if kind == F.TYPE_SINT32 else 64))  # type: ignore[call-overload]
    if kind in _VARINT_TYPES:
        return varint(int(value))  # type: ignore[call-overload]
    if kind == F.TYPE_FLOAT:
        return struct.pack("<f", value)
    if kind == F.TYPE_DOUBLE:
        return struct.pack("<d", value)
    if kind in (F.TYPE_FIXED32, F.TYPE_SFIXED32):
        return struct.pack("<I", int(value) & 0xFFFFFFFF)  # type: ignore[call-overload]
    if kind in (F.TYPE_FIXED64, F.TYPE_SFIXED64):
        return struct.pack("<Q", int(value) & ((1 << 64) - 1))  # type: ignore[call-overload]
    raise ValueError(f"not a scalar type: {kind}")


def wire_type(kind: int) -> int:
    if kind in _VARINT_TYPES:
        return WT_VARINT
    if kind in _FIXED32:
        return WT_I32
    if kind in _FIXED64:
        return WT_I64
    return WT_LEN


def nested_groups(number: int, depth: int) -> bytes:
    """`depth` start-group tags then as many end-group tags: nesting only a recursive parser can skip."""
    return tag(number, WT_SGROUP) * depth + tag(number, WT_EGROUP) * depth


def nested_messages(number: int, depth: int, leaf: bytes = b"") -> bytes:
    """A length-delimited field holding itself `depth` times (parsed as unknown bytes beyond the schema)."""
    payload = leaf
    for _ in range(depth):
        payload = length_delimited(number, payload)
    return payload


# ---------------------------------------------------------------------------------------------------------
# Strategies.

TRICKY_TEXT = ("", " ", "\x00", "\x00\x01\x7f", "../../../etc/passwd", "' OR 1=1 --", "%s%n%x", "${jndi:x}",
               "\u202eevil", "😀" * 8, "中文客服", "\ufeff", "a" * 300, "null", "-1", "NaN", "9" * 40,
               "<script>alert(1)</script>", "\r\n\r\n", "*", "..", "/", "ml-", "u", "fuzz-u1\x00u7")
INVALID_UTF8 = (b"\xff", b"\xfe\xfd", b"\xc0\x80", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"abc\x80def",
                b"\xe4\xb8", b"ok\xf0\x9f\x98")
TRICKY_INTS = (0, 1, -1, 2, 7, 100, 10**6, 2**31 - 1, -(2**31), 2**32 - 1, 2**53, 2**63 - 1, -(2**63),
               2**64 - 1, 253402300799, 253402300800, -62135596801, 10**12, 10**15, 10**18)
TRICKY_FLOATS = (0.0, -0.0, 1.0, -1.0, math.nan, math.inf, -math.inf, 1e-45, 3.4e38, 1.7e308, 5e-324)
_ID_RE = re.compile(r"^u\d+$")


@dataclass(frozen=True)
class Profile:
    """What one case's generator may do: the caller's user, invalid UTF-8, hint values."""

    user: str | None
    invalid_utf8: bool
    hints: dict[str, tuple[object, ...]]
    plausible: bool = False
    """Values a client could mean: hints always, known enum values, small numbers, recent times."""


def _text() -> st.SearchStrategy[str]:
    return st.one_of(st.text(max_size=24), st.sampled_from(TRICKY_TEXT),
                     st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_.:", max_size=16))


def hints_for(rpc: Rpc, auth: Auth, user: str | None) -> dict[str, tuple[object, ...]]:
    """Values per field name that pass validation (the real ones only where the RPC has no side effects)."""
    users: tuple[object, ...] = (user,) if user else FUZZ_USERS
    items: tuple[object, ...] = ("ml-1", "ml-50", "ml-1682") if not rpc.side_effects else ("fuzz-item-1",)
    hints: dict[str, tuple[object, ...]] = {
        "user_id": users, "subject_id": users, "catalog_id": ("movielens", ""),
        "language_code": ("en", "zh", "zh-CN", "en-US"), "currency_code": ("USD", "CNY", "EUR"),
        "item_id": items, "item_ids": items, "exclude_item_ids": items, "recent_items": items,
        "acting_agent_id": ("demo",) if auth.agent else ("",), "agent_id": ("demo",),
        "model_name": ("", "minilm-l6-v2", "multilingual-e5-small"), "page_size": (0, 1, 10, 100),
        "country_code": ("US", "CN"), "time_zone": ("UTC", "Asia/Shanghai"), "query": ("star wars", "衬衫"),
        "text": ("where is my order?", "my email is a@b.com", "我的订单在哪里"),
        "nanos": (0, 999_999_999), "seconds": (0, 1_700_000_000),
        "order_id": ("A99990", "A99991", "a99990"), "line_ids": ("1", "2"), "line_id": ("1", "2"),
        "client_event_id": ("fuzz-e1", "fuzz-e2"), "order_event_id": ("fuzz-oe1", "fuzz-oe2"),
    }
    if auth.purposes:
        hints["purpose"] = auth.purposes
    if rpc.infra:
        own = f"shopmesh.{rpc.service}.v1.{rpc.service.capitalize()}Service"
        hints.update({"service": ("", own, "grpc.health.v1.Health"), "file_containing_symbol": (own,),
                      "list_services": ("", "*"), "file_by_filename": (f"shopmesh/{rpc.service}/v1/"
                                                                        f"{rpc.service}_service.proto",)})
    return hints


def _scalar(kind: int, fd: FieldDescriptor) -> st.SearchStrategy[object]:
    if kind == F.TYPE_ENUM:
        values = [v.number for v in fd.enum_type.values]
        return st.one_of(st.sampled_from(values), st.integers(-(2**31), 2**31 - 1), st.sampled_from(TRICKY_INTS))
    if kind in (F.TYPE_FLOAT, F.TYPE_DOUBLE):
        width: Literal[32, 64] = 32 if kind == F.TYPE_FLOAT else 64
        return st.one_of(st.floats(width=width), st.sampled_from(TRICKY_FLOATS)).map(
            lambda x: x if width == 64 or not math.isfinite(x) or abs(x) < 3.4e38 else math.inf)
    lo, hi = _RANGES[kind]
    return st.one_of(st.integers(lo, hi), st.sampled_from([v for v in TRICKY_INTS if lo <= v <= hi]),
                     st.integers(-3, 200).filter(lambda v: lo <= v <= hi))


@st.composite
def _field_entry(draw: st.DrawFn, fd: FieldDescriptor, profile: Profile, depth: int) -> bytes:
    """One encoded occurrence of a field (tag + value)."""
    kind = fd.type
    hinted = profile.hints.get(fd.name)
    if profile.plausible and not (hinted and kind in (F.TYPE_STRING, *_VARINT_TYPES)):
        return draw(_plausible_entry(fd, profile, depth))
    if hinted and kind in (F.TYPE_STRING, *_VARINT_TYPES) and (profile.plausible or draw(st.integers(0, 9)) < 6):
        value = draw(st.sampled_from(hinted))
        if kind == F.TYPE_STRING and isinstance(value, str):
            return length_delimited(fd.number, value.encode())
        if kind != F.TYPE_STRING and isinstance(value, int):
            return tag(fd.number, WT_VARINT) + scalar_payload(kind, value)
    if kind == F.TYPE_STRING:
        if profile.invalid_utf8 and draw(st.booleans()):
            raw = draw(st.binary(max_size=8)) + draw(st.sampled_from(INVALID_UTF8)) + draw(st.binary(max_size=8))
            return length_delimited(fd.number, raw)
        text = draw(_text())
        if _ID_RE.match(text):
            text = "fz" + text
        return length_delimited(fd.number, text.encode())
    if kind == F.TYPE_BYTES:
        return length_delimited(fd.number, draw(st.binary(max_size=48)))
    if kind == F.TYPE_MESSAGE:
        inner = draw(message(fd.message_type, profile, depth + 1)) if depth < 6 else b""
        return length_delimited(fd.number, inner)
    if kind == F.TYPE_GROUP:
        return tag(fd.number, WT_SGROUP) + tag(fd.number, WT_EGROUP)
    return tag(fd.number, wire_type(kind)) + scalar_payload(kind, draw(_scalar(kind, fd)))


_WORDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=12)


@st.composite
def _plausible_entry(draw: st.DrawFn, fd: FieldDescriptor, profile: Profile, depth: int) -> bytes:
    """A value a well-behaved client might send for the field."""
    kind = fd.type
    if kind == F.TYPE_MESSAGE:
        name = fd.message_type.full_name
        if name == "google.protobuf.Timestamp":
            seconds = int(time.time()) - draw(st.integers(0, 3 * 86400))
            return length_delimited(fd.number, tag(1, WT_VARINT) + varint(seconds))
        if name == "google.protobuf.Duration":
            return length_delimited(fd.number, tag(1, WT_VARINT) + varint(draw(st.integers(0, 3600))))
        inner = draw(message(fd.message_type, profile, depth + 1)) if depth < 6 else b""
        return length_delimited(fd.number, inner)
    if kind == F.TYPE_STRING:
        return length_delimited(fd.number, draw(_WORDS).encode())
    if kind == F.TYPE_BYTES:
        return length_delimited(fd.number, draw(st.binary(min_size=1, max_size=16)))
    if kind == F.TYPE_ENUM:
        known = [v.number for v in fd.enum_type.values if v.number] or [0]
        return tag(fd.number, WT_VARINT) + varint(draw(st.sampled_from(known)))
    if kind in (F.TYPE_FLOAT, F.TYPE_DOUBLE):
        return tag(fd.number, wire_type(kind)) + scalar_payload(kind, draw(st.floats(0, 100)))
    if kind == F.TYPE_GROUP:
        return tag(fd.number, WT_SGROUP) + tag(fd.number, WT_EGROUP)
    value = draw(st.integers(0, 1 if kind == F.TYPE_BOOL else 50))
    return tag(fd.number, wire_type(kind)) + scalar_payload(kind, value)


@st.composite
def _packed(draw: st.DrawFn, fd: FieldDescriptor) -> bytes:
    values = draw(st.lists(_scalar(fd.type, fd), max_size=6))
    return length_delimited(fd.number, b"".join(scalar_payload(fd.type, v) for v in values))


@st.composite
def message(draw: st.DrawFn, descriptor: Descriptor, profile: Profile, depth: int = 0) -> bytes:
    """A message of the type with a random subset of its fields set (random order, repeats, packed or not)."""
    parts: list[bytes] = []
    for fd in descriptor.fields:
        if not draw(st.integers(0, 9)) < (7 if profile.plausible and depth < 3 else 6 if depth < 3 else 3):
            continue
        if fd.is_repeated:
            scalar = fd.type not in (F.TYPE_STRING, F.TYPE_BYTES, F.TYPE_MESSAGE, F.TYPE_GROUP)
            if scalar and not profile.plausible and draw(st.booleans()):
                parts.append(draw(_packed(fd)))
            else:
                count = draw(st.integers(0, 3 if depth < 2 else 1))
                parts.extend(draw(_field_entry(fd, profile, depth)) for _ in range(count))
        else:
            parts.append(draw(_field_entry(fd, profile, depth)))
    if len(parts) > 1 and draw(st.integers(0, 4)) == 0:
        parts = draw(st.permutations(parts))
    return b"".join(parts)


def _message_fields(descriptor: Descriptor) -> list[FieldDescriptor]:
    return [fd for fd in descriptor.fields if fd.type == F.TYPE_MESSAGE]


def _paths(descriptor: Descriptor, want: set[int], depth: int = 0) -> list[list[FieldDescriptor]]:
    """Field paths (through singular or repeated message fields) that end in a field of one of `want` types."""
    out: list[list[FieldDescriptor]] = []
    for fd in descriptor.fields:
        if fd.type in want:
            out.append([fd])
        if fd.type == F.TYPE_MESSAGE and depth < 4:
            out.extend([fd, *rest] for rest in _paths(fd.message_type, want, depth + 1))
    return out


def _wrap(path: Sequence[FieldDescriptor], leaf: bytes) -> bytes:
    """`leaf` (an encoded field of the last path element's message) placed inside the message fields of path."""
    payload = leaf
    for fd in reversed(path):
        payload = length_delimited(fd.number, payload)
    return payload


@dataclass(frozen=True)
class Case:
    """One fuzz case: the messages sent (one for a unary request), how it was made and how it is authorized."""

    kind: str
    messages: tuple[bytes, ...]
    auth_mode: str = "authorized"
    user: str | None = None

    @property
    def size(self) -> int:
        return sum(len(m) for m in self.messages)


KINDS = ("plausible", "plausible", "plausible", "random", "random", "random", "invalid_utf8", "unknown_fields",
         "truncated", "deep_nesting", "huge_repeated", "long_string", "garbage")
UNAUTHORIZED = ("no_credentials", "intruder", "forged")


@st.composite
def request_bytes(draw: st.DrawFn, rpc: Rpc, kind: str, profile: Profile) -> bytes:
    """One request message of the kind."""
    descriptor = rpc.method.input_type
    base = draw(message(descriptor, profile))
    if kind in ("random", "invalid_utf8", "plausible"):
        return base
    if kind == "unknown_fields":
        extra: list[bytes] = []
        for _ in range(draw(st.integers(1, 4))):
            number = draw(st.one_of(st.integers(1, 40), st.integers(1000, 2**29 - 1)))
            wt = draw(st.sampled_from([WT_VARINT, WT_I64, WT_LEN, WT_I32, WT_SGROUP]))
            if wt == WT_VARINT:
                extra.append(tag(number, wt) + varint(draw(st.integers(0, 2**64 - 1))))
            elif wt == WT_I64:
                extra.append(tag(number, wt) + draw(st.binary(min_size=8, max_size=8)))
            elif wt == WT_I32:
                extra.append(tag(number, wt) + draw(st.binary(min_size=4, max_size=4)))
            elif wt == WT_LEN:
                extra.append(length_delimited(number, draw(st.binary(max_size=32))))
            else:
                extra.append(tag(number, WT_SGROUP) + tag(number, WT_EGROUP))
        # An unknown field may also sit inside a nested message.
        paths = _paths(descriptor, {F.TYPE_MESSAGE})
        if paths and bool(draw(st.booleans())):
            path = draw(st.sampled_from(paths))
            extra.append(_wrap(path, length_delimited(draw(st.integers(1000, 5000)), b"x")))
        return base + b"".join(draw(st.permutations(extra)))
    if kind == "truncated":
        full = base or draw(message(descriptor, Profile(profile.user, False, profile.hints)))
        full = full or length_delimited(1, b"truncated")
        tails = [b"", b"\x0a", b"\x0a\x7f", b"\x08", b"\x08\xff", b"\x0d\x01", b"\x0a\xff\xff\xff\xff\x0f"]
        return full[:draw(st.integers(0, max(len(full) - 1, 0)))] + draw(st.sampled_from(tails))
    if kind == "deep_nesting":
        depth = draw(st.sampled_from([RECURSION_LIMIT - 1, RECURSION_LIMIT + 1, 2 * RECURSION_LIMIT, 5000, 100_000]))
        number = draw(st.sampled_from([1, 2, 3, 15, 999]))
        leaf = nested_groups(number, depth) if draw(st.booleans()) else nested_messages(number, depth)
        paths = _paths(descriptor, {F.TYPE_MESSAGE})
        if paths and bool(draw(st.booleans())):
            leaf = _wrap(draw(st.sampled_from(paths)), leaf)
        return base + leaf
    if kind == "huge_repeated":
        repeated = [p for p in _paths(descriptor, set(range(1, 19))) if p[-1].is_repeated]
        count = draw(st.sampled_from([1_000, 10_000, 100_000, 1_000_000]))
        if not repeated:
            return base + length_delimited(7777, b"r") * count
        path = draw(st.sampled_from(repeated))
        entry = draw(_field_entry(path[-1], profile, len(path)))
        return base + _wrap(path[:-1], entry * count)
    if kind == "long_string":
        strings = _paths(descriptor, {F.TYPE_STRING, F.TYPE_BYTES})
        size = draw(st.sampled_from([4_096, 65_536, 1 << 20, 4 << 20]))
        filler = draw(st.sampled_from(["a", "字", " ", "@", "1"]))
        value = (filler * size).encode()[:size]
        if not strings:
            return base + length_delimited(7777, value)
        path = draw(st.sampled_from(strings))
        return base + _wrap(path[:-1], length_delimited(path[-1].number, value))
    if kind == "garbage":
        return draw(st.binary(min_size=1, max_size=256))
    raise ValueError(kind)


@st.composite
def cases(draw: st.DrawFn, rpc: Rpc) -> Case:
    """A fuzz case for the RPC: a kind, an authorization mode (one in ten unauthorized) and its messages."""
    auth = auth_for(rpc.service, rpc.name)
    kind = draw(st.sampled_from(KINDS))
    mode = "authorized" if draw(st.integers(0, 9)) else draw(st.sampled_from(UNAUTHORIZED))
    user = draw(st.sampled_from(FUZZ_USERS)) if auth.user else None
    profile = Profile(user, kind == "invalid_utf8", hints_for(rpc, auth, user), plausible=kind == "plausible")
    count = draw(st.integers(0, 4)) if rpc.client_streaming else 1
    other = "plausible" if kind == "plausible" else "random"
    messages = tuple(draw(request_bytes(rpc, kind if i == count - 1 or draw(st.booleans()) else other, profile))
                     for i in range(count))
    return Case(kind, messages, mode, user)


def edge_cases(rpc: Rpc) -> list[Case]:
    """The deterministic extremes every RPC gets: empty, a string just under and just past the largest
    message the server takes, groups one past the recursion limit, invalid UTF-8 in each string field."""
    descriptor = rpc.method.input_type
    auth = auth_for(rpc.service, rpc.name)
    user = FUZZ_USERS[0] if auth.user else None
    strings = _paths(descriptor, {F.TYPE_STRING})
    path = strings[0] if strings else []

    def sized(total: int) -> bytes:
        number = path[-1].number if path else 7777
        overhead = len(_wrap(path[:-1], length_delimited(number, b"x" * total))) - total
        size = total - overhead
        return _wrap(path[:-1], length_delimited(number, b"x" * size))

    out = [Case("empty", (b"",), user=user),
           Case("max_size", (sized(MAX_MESSAGE_BYTES - 64),), user=user),
           Case("past_max_size", (sized(MAX_MESSAGE_BYTES + 1024),), user=user),
           Case("deep_nesting", (nested_groups(1, RECURSION_LIMIT + 1),), user=user)]
    out += [Case("invalid_utf8", (_wrap(p[:-1], length_delimited(p[-1].number, b"\xff\xfe")),), user=user)
            for p in strings if len(p) <= 2][:6]
    return out


# ---------------------------------------------------------------------------------------------------------
# The client.


@dataclass
class Outcome:
    """What one call came back with."""

    code: grpc.StatusCode
    elapsed_s: float
    deadline_s: float
    details: str = ""

    @property
    def hung(self) -> bool:
        return self.elapsed_s > self.deadline_s + SLACK_S


@dataclass
class RpcStats:
    """The tally of one RPC's cases."""

    rpc: Rpc
    cases: int = 0
    codes: Counter[str] = field(default_factory=Counter)
    kinds: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    bad: int = 0
    hangs: int = 0
    slowest_s: float = 0.0
    unauthorized: int = 0
    past_authz: int = 0
    samples: dict[str, str] = field(default_factory=dict)
    """The first details text seen per status code (what the suite prints)."""

    def add(self, case: Case, outcome: Outcome) -> None:
        self.cases += 1
        self.codes[outcome.code.name] += 1
        self.kinds[case.kind] += 1
        self.samples.setdefault(outcome.code.name, f"{case.kind}/{case.auth_mode}: {outcome.details[:160]}")
        self.slowest_s = max(self.slowest_s, outcome.elapsed_s)
        if case.auth_mode != "authorized":
            self.unauthorized += 1
        elif outcome.code not in (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED):
            self.past_authz += 1
        problem = ""
        if outcome.code in (grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN):
            self.bad += 1
            problem = outcome.code.name
        elif outcome.hung:
            self.hangs += 1
            problem = f"hang ({outcome.elapsed_s:.1f} s for a {outcome.deadline_s:.1f} s deadline)"
        elif outcome.code == grpc.StatusCode.DEADLINE_EXCEEDED and not self.rpc.server_streaming:
            self.hangs += 1
            problem = f"DEADLINE_EXCEEDED after {outcome.elapsed_s:.1f} s"
        if problem:
            first = case.messages[0] if case.messages else b""
            self.failures.append(
                f"{self.rpc.service}/{self.rpc.name}: {problem} on a {case.kind} case ({case.auth_mode}, "
                f"{case.size} bytes in {len(case.messages)} message(s), first bytes {first[:48].hex()}): "
                f"{outcome.details[:200]}")


class MeshClient:
    """Raw-bytes calls to any RPC of the running mesh, as the RPC's authorized caller or an unauthorized one."""

    def __init__(self, ports: dict[str, int], certs_dir: Path):
        ensure_certs(certs_dir, IDENTITIES)
        self._ports = ports
        self._certs = certs_dir
        self._signer = UserContextSigner.from_file(certs_dir / USER_CONTEXT_PRIVATE)
        self._channels: dict[tuple[str, str], grpc.Channel] = {}
        self._tokens: dict[str, tuple[float, list[tuple[str, str]]]] = {}

    def channel(self, service: str, identity: str) -> grpc.Channel:
        key = (service, identity)
        if key not in self._channels:
            credentials = channel_credentials(TlsFiles.in_dir(self._certs, identity))
            self._channels[key] = grpc.secure_channel(
                f"127.0.0.1:{self._ports[service]}", credentials,
                options=[("grpc.ssl_target_name_override", service), ("grpc.max_send_message_length", -1),
                         ("grpc.max_receive_message_length", 64 << 20), ("grpc.enable_retries", 0)])
        return self._channels[key]

    def _user_metadata(self, service: str, user: str) -> list[tuple[str, str]]:
        key = f"{service}:{user}"
        cached = self._tokens.get(key)
        if cached is None or cached[0] < time.monotonic():
            if service == "gateway":
                md = [("authorization", f"Bearer {mint_token(self._certs / DEV_JWT_PRIVATE, user)}")]
            else:
                md = [(USER_CONTEXT_KEY, self._signer.sign(user, ttl_seconds=300))]
            self._tokens[key] = (time.monotonic() + 120, md)
            return md
        return cached[1]

    def metadata(self, rpc: Rpc, case: Case) -> tuple[str, list[tuple[str, str]]]:
        """The identity and call metadata of the case."""
        auth = auth_for(rpc.service, rpc.name)
        md: list[tuple[str, str]] = []
        if case.auth_mode == "intruder":
            return INTRUDER, self._user_metadata(rpc.service, case.user) if case.user else md
        if case.auth_mode == "no_credentials":
            return auth.identity, md
        if case.auth_mode == "forged":
            key = "authorization" if rpc.service == "gateway" else USER_CONTEXT_KEY
            forged = "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1NyJ9." if rpc.service == "gateway" else "AAAA.BBBB"
            return auth.identity, [(key, forged)]
        if case.user:
            md = list(self._user_metadata(rpc.service, case.user))
        return auth.identity, md

    def call(self, rpc: Rpc, case: Case) -> Outcome:
        """Sends the case's bytes with the RPC's deadline; reads a response stream to its end."""
        identity, md = self.metadata(rpc, case)
        channel = self.channel(rpc.service, identity)
        deadline = rpc.deadline_s
        started = time.monotonic()
        code, details = grpc.StatusCode.OK, ""
        try:
            if rpc.client_streaming and rpc.server_streaming:
                for _ in channel.stream_stream(rpc.path)(iter(case.messages), timeout=deadline, metadata=md):
                    pass
            elif rpc.client_streaming:
                channel.stream_unary(rpc.path)(iter(case.messages), timeout=deadline, metadata=md)
            elif rpc.server_streaming:
                responses = channel.unary_stream(rpc.path)(case.messages[0], timeout=deadline, metadata=md)
                if rpc.watch:
                    # A watch never ends by itself: its first answer (or error) is what the request led to.
                    next(responses, None)
                    responses.cancel()
                else:
                    for _ in responses:
                        pass
            else:
                channel.unary_unary(rpc.path)(case.messages[0], timeout=deadline, metadata=md)
        except grpc.RpcError as exc:
            code = exc.code()
            details = str(exc.details() or "")
        return Outcome(code, time.monotonic() - started, deadline, details)

    def close(self) -> None:
        for channel in self._channels.values():
            channel.close()

