"""Rules buf lint cannot state: request/response messages are never shared between RPCs, and every
file, service, RPC, message, field, oneof, enum and enum value is documented (read from the comments
protoc keeps with --include_source_info); every RPC documents its errors."""

from __future__ import annotations

from collections import Counter

from google.protobuf import descriptor_pb2

# Field numbers in descriptor.proto, used in SourceCodeInfo.Location.path.
FILE_PACKAGE, FILE_MESSAGE, FILE_ENUM, FILE_SERVICE, FILE_SYNTAX = 2, 4, 5, 6, 12
MESSAGE_FIELD, MESSAGE_NESTED, MESSAGE_ENUM, MESSAGE_ONEOF = 2, 3, 4, 8
ENUM_VALUE = 2
SERVICE_METHOD = 2


def _comments(file: descriptor_pb2.FileDescriptorProto) -> dict[tuple[int, ...], str]:
    return {tuple(loc.path): loc.leading_comments.strip() for loc in file.source_code_info.location}


def _documented_elements(file: descriptor_pb2.FileDescriptorProto) -> list[tuple[str, tuple[int, ...]]]:
    """(element name, source path) of every element that must carry a leading comment."""
    out: list[tuple[str, tuple[int, ...]]] = []

    def enum(e: descriptor_pb2.EnumDescriptorProto, path: tuple[int, ...], scope: str) -> None:
        out.append((f"enum {scope}{e.name}", path))
        for i, v in enumerate(e.value):
            out.append((f"enum value {scope}{e.name}.{v.name}", (*path, ENUM_VALUE, i)))

    def message(m: descriptor_pb2.DescriptorProto, path: tuple[int, ...], scope: str) -> None:
        if m.options.map_entry:
            return
        name = f"{scope}{m.name}"
        out.append((f"message {name}", path))
        for i, f in enumerate(m.field):
            out.append((f"field {name}.{f.name}", (*path, MESSAGE_FIELD, i)))
        for i, o in enumerate(m.oneof_decl):
            if not o.name.startswith("_"):  # synthetic oneofs of proto3 `optional` fields
                out.append((f"oneof {name}.{o.name}", (*path, MESSAGE_ONEOF, i)))
        for i, n in enumerate(m.nested_type):
            message(n, (*path, MESSAGE_NESTED, i), f"{name}.")
        for i, e in enumerate(m.enum_type):
            enum(e, (*path, MESSAGE_ENUM, i), f"{name}.")

    for i, m in enumerate(file.message_type):
        message(m, (FILE_MESSAGE, i), "")
    for i, e in enumerate(file.enum_type):
        enum(e, (FILE_ENUM, i), "")
    for i, s in enumerate(file.service):
        out.append((f"service {s.name}", (FILE_SERVICE, i)))
        for j, method in enumerate(s.method):
            out.append((f"rpc {s.name}.{method.name}", (FILE_SERVICE, i, SERVICE_METHOD, j)))
    return out


def test_every_element_has_a_leading_comment(shopmesh_files: list[descriptor_pb2.FileDescriptorProto]) -> None:
    missing = []
    for file in shopmesh_files:
        comments = _comments(file)
        missing += [f"{file.name}: {name}" for name, path in _documented_elements(file) if not comments.get(path)]
    assert not missing, "undocumented:\n" + "\n".join(missing)


def test_every_file_opens_with_a_header_explaining_its_role(
    shopmesh_files: list[descriptor_pb2.FileDescriptorProto],
) -> None:
    for file in shopmesh_files:
        locations = {tuple(loc.path): loc for loc in file.source_code_info.location}
        syntax = locations[(FILE_SYNTAX,)]
        header = syntax.leading_comments + "".join(syntax.leading_detached_comments)
        assert len(header.split()) >= 20, f"{file.name}: header comment missing or too short"
        assert file.package in header, f"{file.name}: header should name its package {file.package}"


def test_every_rpc_documents_its_errors(shopmesh_files: list[descriptor_pb2.FileDescriptorProto]) -> None:
    undocumented = []
    for file in shopmesh_files:
        comments = _comments(file)
        if file.service:
            header = comments.get((FILE_SYNTAX,), "")
            assert "Errors common to every RPC" in header, f"{file.name}: header lacks the common error model"
        for i, service in enumerate(file.service):
            for j, method in enumerate(service.method):
                text = comments.get((FILE_SERVICE, i, SERVICE_METHOD, j), "")
                if "Errors" not in text:
                    undocumented.append(f"{service.name}.{method.name}")
    assert not undocumented, "RPCs without an 'Errors' paragraph: " + ", ".join(undocumented)


def test_each_rpc_has_its_own_request_and_response(
    shopmesh_files: list[descriptor_pb2.FileDescriptorProto],
) -> None:
    requests: Counter[str] = Counter()
    responses: Counter[str] = Counter()
    misnamed = []
    for file in shopmesh_files:
        for service in file.service:
            for method in service.method:
                requests[method.input_type] += 1
                responses[method.output_type] += 1
                package = f".{file.package}."
                if method.input_type != f"{package}{method.name}Request":
                    misnamed.append(f"{service.name}.{method.name} takes {method.input_type}")
                if method.output_type != f"{package}{method.name}Response":
                    misnamed.append(f"{service.name}.{method.name} returns {method.output_type}")
    assert requests, "no RPCs found"
    shared = [t for t, n in (requests + responses).items() if n > 1]
    assert not shared, f"messages used by more than one RPC: {shared}"
    assert not set(requests) & set(responses), "a message is both a request and a response"
    assert not misnamed, "\n".join(misnamed)


def test_common_package_defines_no_rpc_messages(shopmesh_files: list[descriptor_pb2.FileDescriptorProto]) -> None:
    """common.v1 is shared vocabulary; per-RPC envelopes live with their service."""
    for file in shopmesh_files:
        if file.package == "shopmesh.common.v1":
            names = [m.name for m in file.message_type]
            assert not [n for n in names if n.endswith(("Request", "Response"))], (file.name, names)
