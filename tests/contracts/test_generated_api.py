"""Every generated module imports and every service exposes exactly the RPCs the contract promises,
with the streaming shape and idempotency level the kit's retry policy relies on."""

from __future__ import annotations

import importlib

import pytest
from google.protobuf.descriptor import MethodDescriptor
from google.protobuf.descriptor_pb2 import MethodOptions

NO_SIDE_EFFECTS = MethodOptions.NO_SIDE_EFFECTS
IDEMPOTENT = MethodOptions.IDEMPOTENT
NOT_RETRIED = MethodOptions.IDEMPOTENCY_UNKNOWN
UNARY, SERVER_STREAM, BIDI = "unary", "server_stream", "bidi"

# service -> RPC -> (idempotency level, streaming shape). Changing this table is changing the contract.
EXPECTED: dict[str, dict[str, tuple[int, str]]] = {
    "gateway": {
        "GetHomeFeed": (NO_SIDE_EFFECTS, UNARY),
        "GetSimilarItems": (NO_SIDE_EFFECTS, UNARY),
        "SearchItems": (NO_SIDE_EFFECTS, UNARY),
        "GetItem": (NO_SIDE_EFFECTS, UNARY),
        "SendEvents": (IDEMPOTENT, UNARY),
        "ListOrders": (NO_SIDE_EFFECTS, UNARY),
        "GetOrder": (NO_SIDE_EFFECTS, UNARY),
        "Chat": (NOT_RETRIED, BIDI),
        "GetProfile": (NO_SIDE_EFFECTS, UNARY),
        "UpdateProfile": (IDEMPOTENT, UNARY),
        "GetConsent": (NO_SIDE_EFFECTS, UNARY),
        "UpdateConsent": (IDEMPOTENT, UNARY),
        "ExportMyData": (NO_SIDE_EFFECTS, SERVER_STREAM),
        "DeleteMyData": (IDEMPOTENT, UNARY),
    },
    "profile": {
        "GetItems": (NO_SIDE_EFFECTS, UNARY),
        "ListItems": (NO_SIDE_EFFECTS, UNARY),
        "UpsertItems": (IDEMPOTENT, UNARY),
        "IngestEvents": (IDEMPOTENT, UNARY),
        "ReadEvents": (NO_SIDE_EFFECTS, SERVER_STREAM),
        "GetUserFeatures": (NO_SIDE_EFFECTS, UNARY),
        "GetItemFeatures": (NO_SIDE_EFFECTS, UNARY),
        "ListPopularItems": (NO_SIDE_EFFECTS, UNARY),
        "ApplyOrderEvents": (IDEMPOTENT, UNARY),
        "ListOrders": (NO_SIDE_EFFECTS, UNARY),
        "GetOrder": (NO_SIDE_EFFECTS, UNARY),
        "GetRefundStatus": (NO_SIDE_EFFECTS, UNARY),
        "GetPointsBalance": (NO_SIDE_EFFECTS, UNARY),
        "RequestCancellation": (IDEMPOTENT, UNARY),
        "RequestAddressChange": (IDEMPOTENT, UNARY),
        "ListOutboxEntries": (NO_SIDE_EFFECTS, UNARY),
        "AckOutboxEntries": (IDEMPOTENT, UNARY),
        "GetProfile": (NO_SIDE_EFFECTS, UNARY),
        "UpdateProfile": (IDEMPOTENT, UNARY),
        "GetConsent": (NO_SIDE_EFFECTS, UNARY),
        "UpdateConsent": (IDEMPOTENT, UNARY),
        "ExportUser": (NO_SIDE_EFFECTS, SERVER_STREAM),
        "DeleteUser": (IDEMPOTENT, UNARY),
    },
    "embedding": {
        "Embed": (NO_SIDE_EFFECTS, UNARY),
        "EmbedUser": (NO_SIDE_EFFECTS, UNARY),
        "ListModels": (NO_SIDE_EFFECTS, UNARY),
    },
    "retrieval": {
        "RetrieveCandidates": (NO_SIDE_EFFECTS, UNARY),
        "SimilarItems": (NO_SIDE_EFFECTS, UNARY),
        "Search": (NO_SIDE_EFFECTS, UNARY),
        "GetIndexInfo": (NO_SIDE_EFFECTS, UNARY),
    },
    "ranking": {
        "Rank": (NO_SIDE_EFFECTS, UNARY),
        "GetModelInfo": (NO_SIDE_EFFECTS, UNARY),
    },
    "support": {
        "Converse": (NOT_RETRIED, BIDI),
        "GetSession": (NO_SIDE_EFFECTS, UNARY),
        "ListHandoffs": (NO_SIDE_EFFECTS, UNARY),
        "GetHandoff": (NO_SIDE_EFFECTS, UNARY),
        "TakeHandoff": (IDEMPOTENT, UNARY),
        "AgentReply": (IDEMPOTENT, UNARY),
        "CloseHandoff": (IDEMPOTENT, UNARY),
        "WatchHandoffs": (NO_SIDE_EFFECTS, SERVER_STREAM),
        "DeleteUserSessions": (IDEMPOTENT, UNARY),
        "ExportUserSessions": (NO_SIDE_EFFECTS, UNARY),
    },
    "vault": {
        "Tokenize": (IDEMPOTENT, UNARY),
        "Detokenize": (NO_SIDE_EFFECTS, UNARY),
        "LookupByValue": (NO_SIDE_EFFECTS, UNARY),
        "Redact": (IDEMPOTENT, UNARY),
        "ExportSubject": (NO_SIDE_EFFECTS, UNARY),
        "ForgetSubject": (IDEMPOTENT, UNARY),
        "RotateKeys": (IDEMPOTENT, UNARY),
        "GetKeyStatus": (NO_SIDE_EFFECTS, UNARY),
        "ListAuditEntries": (NO_SIDE_EFFECTS, UNARY),
        "VerifyAudit": (NO_SIDE_EFFECTS, UNARY),
    },
}

COMMON_MODULES = [
    "account", "artifact", "conversation", "event", "features", "impression",
    "item", "money", "order", "recommendation", "redaction", "vector",
]


def _shape(method: MethodDescriptor) -> str:
    client, server = method.client_streaming, method.server_streaming
    if client and server:
        return BIDI
    if server:
        return SERVER_STREAM
    return "client_stream" if client else UNARY


@pytest.mark.parametrize("name", COMMON_MODULES)
def test_common_modules_import(name: str) -> None:
    module = importlib.import_module(f"shopmesh.common.v1.{name}_pb2")
    assert module.DESCRIPTOR.package == "shopmesh.common.v1"
    assert not module.DESCRIPTOR.services_by_name, "common.v1 holds types only"


@pytest.mark.parametrize("svc", sorted(EXPECTED))
def test_service_descriptor_has_the_contracted_rpcs(svc: str) -> None:
    pb2 = importlib.import_module(f"shopmesh.{svc}.v1.{svc}_service_pb2")
    pb2_grpc = importlib.import_module(f"shopmesh.{svc}.v1.{svc}_service_pb2_grpc")
    service_name = f"{svc.capitalize()}Service"

    assert pb2.DESCRIPTOR.package == f"shopmesh.{svc}.v1"
    assert list(pb2.DESCRIPTOR.services_by_name) == [service_name]
    service = pb2.DESCRIPTOR.services_by_name[service_name]
    actual = {m.name: (m.GetOptions().idempotency_level, _shape(m)) for m in service.methods}
    assert actual == EXPECTED[svc]

    # The gRPC stubs exist and expose one callable per RPC.
    for cls in (f"{service_name}Stub", f"{service_name}Servicer"):
        assert hasattr(pb2_grpc, cls)
    assert hasattr(pb2_grpc, f"add_{service_name}Servicer_to_server")
    servicer = getattr(pb2_grpc, f"{service_name}Servicer")
    assert all(callable(getattr(servicer, rpc, None)) for rpc in EXPECTED[svc])


def test_generated_packages_only_depend_on_common() -> None:
    """No service package imports another service's package: shared types live in common.v1."""
    for svc in EXPECTED:
        pb2 = importlib.import_module(f"shopmesh.{svc}.v1.{svc}_service_pb2")
        for dep in pb2.DESCRIPTOR.dependencies:
            assert dep.name.startswith(("google/protobuf/", "shopmesh/common/v1/")), (svc, dep.name)


def test_kit_retry_config_covers_exactly_the_idempotent_rpcs() -> None:
    """The kit's channel factory turns these options into its retry policy; check it end to end."""
    from shared.channels import retry_service_config

    pb2 = importlib.import_module("shopmesh.support.v1.support_service_pb2")
    config = retry_service_config([pb2.DESCRIPTOR.services_by_name["SupportService"]])
    retried = {n["method"] for mc in config["methodConfig"] for n in mc["name"]}
    expected = {rpc for rpc, (level, _) in EXPECTED["support"].items() if level != NOT_RETRIED}
    assert retried == expected
    assert "Converse" not in retried
