"""`helm test`: the gateway answers health SERVING, then one GetHomeFeed call with a test user's JWT returns items.

Runs in the gateway's image (grpcio and the generated shopmesh API are there). Both calls go to the gateway's
main port, as a client does: the health-only port admits the nodes' probes alone when policies are on.
Exit 0 only if both pass.
"""

import os
import sys
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from shopmesh.gateway.v1 import gateway_service_pb2, gateway_service_pb2_grpc

target = f"{os.environ['GATEWAY_HOST']}:{os.environ['GATEWAY_PORT']}"
if os.environ.get("PLAINTEXT") == "true":
    channel = grpc.insecure_channel(target)
else:
    certs = Path(os.environ["CERTS_DIR"])
    identity = os.environ["IDENTITY"]
    credentials = grpc.ssl_channel_credentials(
        (certs / "ca.pem").read_bytes(), (certs / f"{identity}.key").read_bytes(),
        (certs / f"{identity}.pem").read_bytes())
    # The gateway's certificate names it `gateway`, whatever Service name was dialled.
    channel = grpc.secure_channel(target, credentials, options=[("grpc.ssl_target_name_override", "gateway")])

status = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=""), timeout=5).status
print("gateway health:", health_pb2.HealthCheckResponse.ServingStatus.Name(status))
if status != health_pb2.HealthCheckResponse.SERVING:
    sys.exit(1)

token = Path(os.environ["TOKEN_FILE"]).read_text().strip()
feed = gateway_service_pb2_grpc.GatewayServiceStub(channel).GetHomeFeed(
    gateway_service_pb2.GetHomeFeedRequest(page_size=10, catalog_id=os.environ.get("CATALOG_ID", "")),
    metadata=[("authorization", f"Bearer {token}")], timeout=10)
print(f"feed: {len(feed.items)} items, request_id={feed.request_id}, degradations={len(feed.degradations)}")
sys.exit(0 if feed.items else 1)
