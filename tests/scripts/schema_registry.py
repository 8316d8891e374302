#!/usr/bin/env python3
"""A test Schema Registry speaking the Confluent REST subset the Avro converter and confluent-kafka's clients use.

Standard library only. Started by schema_registry.sh; state (schemas, subjects, configs) is kept in a JSON file that
is rewritten atomically after every change, so schema ids and versions survive a restart.

Endpoints: POST /subjects/{s}/versions, POST /subjects/{s}, GET /schemas/ids/{id} (+ /subjects, /versions),
GET /schemas/types, GET /subjects, GET /subjects/{s}/versions, GET /subjects/{s}/versions/{v|latest} (+ /schema),
DELETE /subjects/{s}[?permanent=true], DELETE /subjects/{s}/versions/{v}, GET/PUT/DELETE /config[/{s}],
POST /compatibility/subjects/{s}/versions/{v|latest}, GET /mode. Errors are {"error_code": N, "message": "..."}
with Confluent's codes. Only AVRO schemas are accepted. With --basic-auth USER:PASSWORD every request needs it.
"""

import argparse
import base64
import json
import os
import re
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

LEVELS = (
    "NONE",
    "BACKWARD",
    "BACKWARD_TRANSITIVE",
    "FORWARD",
    "FORWARD_TRANSITIVE",
    "FULL",
    "FULL_TRANSITIVE",
)
CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"


class ApiError(Exception):
    def __init__(self, status, code, message):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def subject_not_found(subject):
    return ApiError(404, 40401, f"Subject '{subject}' not found.")


def version_not_found(version):
    return ApiError(404, 40402, f"Version {version} not found.")


def schema_not_found(detail="Schema not found"):
    return ApiError(404, 40403, detail)


# ----- Avro schema parsing (enough to validate, canonicalise and check compatibility) -----

PRIMITIVES = {"null", "boolean", "int", "long", "float", "double", "bytes", "string"}
NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class AvroError(Exception):
    pass


def full_name(name, namespace):
    if "." in name or not namespace:
        return name
    return f"{namespace}.{name}"


class Parsed:
    """A parsed Avro schema: a tree of dicts with named types resolved to shared nodes."""

    def __init__(self, text):
        try:
            self.json = json.loads(text)
        except ValueError as e:
            raise AvroError(f"Invalid schema: not JSON: {e}") from e
        self.names = {}
        self.root = self._parse(self.json, None)

    def _parse(self, s, namespace):
        if isinstance(s, str):
            if s in PRIMITIVES:
                return {"type": s}
            name = full_name(s, namespace)
            if name in self.names:
                return self.names[name]
            if s in self.names:
                return self.names[s]
            raise AvroError(f'Invalid schema: undefined name: "{s}"')
        if isinstance(s, list):
            branches = [self._parse(b, namespace) for b in s]
            seen = set()
            for b in branches:
                key = b["type"] if b["type"] not in ("record", "enum", "fixed") else b["name"]
                if b["type"] == "union":
                    raise AvroError("Invalid schema: unions may not immediately contain other unions")
                if key in seen:
                    raise AvroError(f"Invalid schema: duplicate in union: {key}")
                seen.add(key)
            return {"type": "union", "branches": branches}
        if not isinstance(s, dict):
            raise AvroError(f"Invalid schema: not a schema: {json.dumps(s)}")
        t = s.get("type")
        if isinstance(t, (dict, list)):
            return self._parse(t, namespace)
        if t in PRIMITIVES:
            return {"type": t, "logicalType": s.get("logicalType")}
        if t in ("record", "error", "enum", "fixed"):
            name = s.get("name")
            if not isinstance(name, str) or not name:
                raise AvroError(f"Invalid schema: No name in schema: {json.dumps(s)}")
            ns = s.get("namespace", namespace) if "." not in name else name.rsplit(".", 1)[0]
            fname = full_name(name, ns)
            for part in fname.split("."):
                if not NAME_RE.match(part):
                    raise AvroError(f"Invalid schema: Illegal character in: {fname}")
            if fname in self.names:
                raise AvroError(f"Invalid schema: Can't redefine: {fname}")
            node = {"type": "record" if t == "error" else t, "name": fname}
            node["aliases"] = {full_name(a, ns) for a in s.get("aliases", [])}
            self.names[fname] = node
            if t in ("record", "error"):
                fields = s.get("fields")
                if not isinstance(fields, list):
                    raise AvroError(f"Invalid schema: Record has no fields: {json.dumps(s)}")
                node["fields"] = []
                names = set()
                for f in fields:
                    if not isinstance(f, dict) or not isinstance(f.get("name"), str) or "type" not in f:
                        raise AvroError(f"Invalid schema: bad field: {json.dumps(f)}")
                    if f["name"] in names:
                        raise AvroError(f"Invalid schema: Duplicate field {f['name']} in record {fname}")
                    names.add(f["name"])
                    node["fields"].append(
                        {
                            "name": f["name"],
                            "type": self._parse(f["type"], ns),
                            "has_default": "default" in f,
                            "aliases": set(f.get("aliases", [])),
                        }
                    )
            elif t == "enum":
                symbols = s.get("symbols")
                if not isinstance(symbols, list) or not all(isinstance(x, str) for x in symbols):
                    raise AvroError(f"Invalid schema: Enum has no symbols: {json.dumps(s)}")
                node["symbols"] = list(symbols)
                node["default"] = s.get("default")
            else:
                if not isinstance(s.get("size"), int):
                    raise AvroError(f"Invalid schema: Fixed has no size: {json.dumps(s)}")
                node["size"] = s["size"]
            return node
        if t == "array":
            if "items" not in s:
                raise AvroError("Invalid schema: Array has no items type")
            return {"type": "array", "items": self._parse(s["items"], namespace)}
        if t == "map":
            if "values" not in s:
                raise AvroError("Invalid schema: Map has no values type")
            return {"type": "map", "values": self._parse(s["values"], namespace)}
        if isinstance(t, str):
            return self._parse(t, namespace)
        raise AvroError(f"Invalid schema: No type: {json.dumps(s)}")


PROMOTIONS = {
    "int": {"int", "long", "float", "double"},
    "long": {"long", "float", "double"},
    "float": {"float", "double"},
    "string": {"string", "bytes"},
    "bytes": {"bytes", "string"},
}


def can_read(reader, writer, path, seen):
    """Avro schema resolution: messages describing why data written with `writer` cannot be read with `reader`."""
    key = (id(reader), id(writer))
    if key in seen:
        return []
    seen.add(key)
    wt, rt = writer["type"], reader["type"]
    if wt == "union":
        out = []
        for b in writer["branches"]:
            out += can_read(reader, b, path, seen)
        return out
    if rt == "union":
        for b in reader["branches"]:
            if not can_read(b, writer, path, set(seen)):
                return []
        return [f"{path}: reader union does not contain a type matching writer type {type_label(writer)}"]
    if wt in PRIMITIVES:
        if rt in PROMOTIONS.get(wt, {wt}):
            return []
        return [f"{path}: reader type {type_label(reader)} not compatible with writer type {type_label(writer)}"]
    if wt != rt:
        return [f"{path}: reader type {type_label(reader)} not compatible with writer type {type_label(writer)}"]
    if wt in ("record", "enum", "fixed"):
        if reader["name"] != writer["name"] and writer["name"] not in reader["aliases"]:
            return [f"{path}: expected name {reader['name']}, found {writer['name']}"]
    if wt == "array":
        return can_read(reader["items"], writer["items"], path + "/items", seen)
    if wt == "map":
        return can_read(reader["values"], writer["values"], path + "/values", seen)
    if wt == "fixed":
        if reader["size"] != writer["size"]:
            return [f"{path}: expected fixed size {reader['size']}, found {writer['size']}"]
        return []
    if wt == "enum":
        missing = [s for s in writer["symbols"] if s not in reader["symbols"]]
        if missing and reader.get("default") is None:
            return [f"{path}: reader enum lacks symbols {missing}"]
        return []
    out = []
    by_name = {f["name"]: f for f in writer["fields"]}
    for rf in reader["fields"]:
        wf = by_name.get(rf["name"])
        if wf is None:
            wf = next((by_name[a] for a in rf["aliases"] if a in by_name), None)
        if wf is None:
            if not rf["has_default"]:
                out.append(f"{path}/fields/{rf['name']}: reader field '{rf['name']}' has no default value"
                           " and is missing in the writer's schema")
            continue
        out += can_read(rf["type"], wf["type"], f"{path}/fields/{rf['name']}", seen)
    return out


def type_label(node):
    return node.get("name", node["type"])


def check_compatible(level, new, olds):
    """Messages explaining why `new` is not compatible with `olds` (newest last) under `level`."""
    if level == "NONE" or not olds:
        return []
    targets = olds if level.endswith("_TRANSITIVE") else olds[-1:]
    out = []
    for old in targets:
        if level.startswith(("BACKWARD", "FULL")):
            out += [f"BACKWARD: {m}" for m in can_read(new.root, old.root, "", set())]
        if level.startswith(("FORWARD", "FULL")):
            out += [f"FORWARD: {m}" for m in can_read(old.root, new.root, "", set())]
    return out


def canonical(text):
    """The stored form of a schema: its JSON re-serialised compactly (fields and attributes kept, in order)."""
    return json.dumps(json.loads(text), separators=(",", ":"))


# ----- State -----


class Store:
    def __init__(self, path):
        self.path = path
        self.lock = threading.Lock()
        self.schemas = {}  # id -> {"schema": str, "schemaType": str}
        self.by_text = {}  # canonical text -> id
        self.subjects = {}  # subject -> [{"version", "id", "deleted"}]
        self.config = {"global": "BACKWARD", "subjects": {}}
        self.next_id = 1
        if path and os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                data = json.load(f)
            self.schemas = {int(k): v for k, v in data["schemas"].items()}
            self.subjects = data["subjects"]
            self.config = data["config"]
            self.next_id = data["next_id"]
            self.by_text = {v["schema"]: k for k, v in self.schemas.items()}

    def save(self):
        if not self.path:
            return
        data = {
            "schemas": {str(k): v for k, v in self.schemas.items()},
            "subjects": self.subjects,
            "config": self.config,
            "next_id": self.next_id,
        }
        tmp = self.path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(data, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)

    def level(self, subject):
        return self.config["subjects"].get(subject, self.config["global"])

    def live_versions(self, subject):
        return [v for v in self.subjects.get(subject, []) if not v["deleted"]]

    def version_entry(self, subject, version, include_deleted=False):
        versions = self.subjects.get(subject, []) if include_deleted else self.live_versions(subject)
        if not versions:
            raise subject_not_found(subject)
        if version == "latest" or version == "-1":
            return versions[-1]
        try:
            n = int(version)
        except ValueError:
            raise ApiError(
                422, 42202,
                f"The specified version '{version}' is not a valid version id. Allowed values are between "
                "[1, 2^31-1] and the string \"latest\"",
            ) from None
        if n < 1:
            raise ApiError(422, 42202, f"The specified version '{version}' is not a valid version id. Allowed "
                                       "values are between [1, 2^31-1] and the string \"latest\"")
        for v in versions:
            if v["version"] == n:
                return v
        raise version_not_found(n)


def parse_request_schema(body):
    if not isinstance(body, dict) or not isinstance(body.get("schema"), str):
        raise ApiError(422, 42201, "Invalid schema: the request has no \"schema\" string")
    schema_type = body.get("schemaType", "AVRO") or "AVRO"
    if schema_type != "AVRO":
        raise ApiError(422, 42201, f"Invalid schema: unsupported schema type {schema_type}")
    if body.get("references"):
        raise ApiError(422, 42201, "Invalid schema: schema references are not supported by this test registry")
    try:
        parsed = Parsed(body["schema"])
    except AvroError as e:
        raise ApiError(422, 42201, str(e)) from None
    return parsed, canonical(body["schema"])


def version_body(subject, entry, store):
    out = {"subject": subject, "version": entry["version"], "id": entry["id"]}
    out["schema"] = store.schemas[entry["id"]]["schema"]
    return out


# ----- HTTP -----


class Handler(BaseHTTPRequestHandler):
    server_version = "TestSchemaRegistry/1.0"
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s\n" % (self.address_string(), fmt % args))

    def _send(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", CONTENT_TYPE)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if not raw:
            return None
        try:
            return json.loads(raw)
        except ValueError:
            raise ApiError(400, 400, "Unrecognized request body: not JSON") from None

    def _authorized(self):
        expected = self.server.basic_auth
        if not expected:
            return True
        header = self.headers.get("Authorization", "")
        if header.startswith("Basic "):
            try:
                if base64.b64decode(header[6:]).decode() == expected:
                    return True
            except ValueError:
                pass
        return False

    def _handle(self, method):
        try:
            if not self._authorized():
                self.send_response(401)
                data = json.dumps({"error_code": 401, "message": "Unauthorized"}).encode()
                self.send_header("WWW-Authenticate", 'Basic realm="SchemaRegistry"')
                self.send_header("Content-Type", CONTENT_TYPE)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return
            url = urlsplit(self.path)
            parts = [unquote(p) for p in url.path.split("/") if p]
            query = {k: v[-1] for k, v in parse_qs(url.query).items()}
            body = self._body() if method in ("POST", "PUT") else None
            status, out = route(self.server.store, method, parts, query, body)
            self._send(status, out)
        except ApiError as e:
            self._send(e.status, {"error_code": e.code, "message": e.message})
        except Exception as e:  # noqa: BLE001 - a test server answers 500 instead of dying
            self._send(500, {"error_code": 50001, "message": f"Error in the backend data store: {e!r}"})

    def do_GET(self):
        self._handle("GET")

    def do_POST(self):
        self._handle("POST")

    def do_PUT(self):
        self._handle("PUT")

    def do_DELETE(self):
        self._handle("DELETE")


def route(store, method, p, q, body):
    with store.lock:
        if not p:
            return 200, {}
        if p[0] == "schemas":
            return route_schemas(store, method, p, q)
        if p[0] == "subjects":
            return route_subjects(store, method, p, q, body)
        if p[0] == "config":
            return route_config(store, method, p, q, body)
        if p[0] == "compatibility" and len(p) == 5 and p[1] == "subjects" and p[3] == "versions" \
                and method == "POST":
            return compatibility(store, p[2], p[4], q, body)
        if p == ["mode"] or (len(p) == 2 and p[0] == "mode"):
            return 200, {"mode": "READWRITE"}
        raise ApiError(404, 404, "HTTP 404 Not Found")


def route_schemas(store, method, p, q):
    if method != "GET":
        raise ApiError(405, 405, "HTTP 405 Method Not Allowed")
    if p == ["schemas", "types"]:
        return 200, ["AVRO"]
    if len(p) >= 3 and p[1] == "ids":
        try:
            sid = int(p[2])
        except ValueError:
            raise ApiError(404, 404, "HTTP 404 Not Found") from None
        if sid not in store.schemas:
            raise schema_not_found(f"Schema {sid} not found")
        if len(p) == 3:
            return 200, {"schema": store.schemas[sid]["schema"]}
        uses = [(s, v) for s, vs in store.subjects.items() for v in vs if v["id"] == sid and not v["deleted"]]
        if p[3:] == ["subjects"]:
            return 200, sorted({s for s, _ in uses})
        if p[3:] == ["versions"]:
            return 200, [{"subject": s, "version": v["version"]} for s, v in uses]
        if p[3:] == ["schema"]:
            return 200, json.loads(store.schemas[sid]["schema"])
    raise ApiError(404, 404, "HTTP 404 Not Found")


def route_subjects(store, method, p, q, body):
    deleted = q.get("deleted") == "true"
    if len(p) == 1:
        if method != "GET":
            raise ApiError(405, 405, "HTTP 405 Method Not Allowed")
        prefix = q.get("subjectPrefix", "")
        names = [s for s, vs in store.subjects.items()
                 if s.startswith(prefix) and (deleted or any(not v["deleted"] for v in vs))]
        return 200, sorted(names)
    subject = p[1]
    if len(p) == 2:
        if method == "POST":
            return lookup(store, subject, body, deleted)
        if method == "DELETE":
            return delete_subject(store, subject, q.get("permanent") == "true")
        raise ApiError(405, 405, "HTTP 405 Method Not Allowed")
    if p[2] != "versions":
        raise ApiError(404, 404, "HTTP 404 Not Found")
    if len(p) == 3:
        if method == "GET":
            versions = store.subjects.get(subject, []) if deleted else store.live_versions(subject)
            if not versions:
                raise subject_not_found(subject)
            return 200, [v["version"] for v in versions]
        if method == "POST":
            return register(store, subject, body)
        raise ApiError(405, 405, "HTTP 405 Method Not Allowed")
    if method == "DELETE" and len(p) == 4:
        entry = store.version_entry(subject, p[3], include_deleted=q.get("permanent") == "true")
        if q.get("permanent") == "true":
            if not entry["deleted"]:
                raise ApiError(404, 40407, f"Subject '{subject}' Version {entry['version']} was not deleted first "
                                           "before being permanently deleted")
            store.subjects[subject].remove(entry)
            if not store.subjects[subject]:
                del store.subjects[subject]
        else:
            entry["deleted"] = True
        store.save()
        return 200, entry["version"]
    if method != "GET":
        raise ApiError(405, 405, "HTTP 405 Method Not Allowed")
    entry = store.version_entry(subject, p[3], include_deleted=deleted)
    if len(p) == 4:
        return 200, version_body(subject, entry, store)
    if p[4:] == ["schema"]:
        return 200, json.loads(store.schemas[entry["id"]]["schema"])
    if p[4:] == ["referencedby"]:
        return 200, []
    raise ApiError(404, 404, "HTTP 404 Not Found")


def register(store, subject, body):
    parsed, text = parse_request_schema(body)
    live = store.live_versions(subject)
    sid = store.by_text.get(text)
    if sid is not None:
        for v in live:
            if v["id"] == sid:
                return 200, {"id": sid}
    olds = [Parsed(store.schemas[v["id"]]["schema"]) for v in live]
    problems = check_compatible(store.level(subject), parsed, olds)
    if problems:
        raise ApiError(
            409, 409,
            f"Schema being registered is incompatible with an earlier schema for subject \"{subject}\", "
            f"details: {problems}",
        )
    if sid is None:
        sid = store.next_id
        store.next_id += 1
        store.schemas[sid] = {"schema": text, "schemaType": "AVRO"}
        store.by_text[text] = sid
    versions = store.subjects.setdefault(subject, [])
    number = max((v["version"] for v in versions), default=0) + 1
    versions.append({"version": number, "id": sid, "deleted": False})
    store.save()
    return 200, {"id": sid}


def lookup(store, subject, body, deleted):
    _, text = parse_request_schema(body)
    versions = store.subjects.get(subject, []) if deleted else store.live_versions(subject)
    if not versions:
        raise subject_not_found(subject)
    sid = store.by_text.get(text)
    for v in versions:
        if v["id"] == sid:
            return 200, version_body(subject, v, store)
    raise schema_not_found()


def delete_subject(store, subject, permanent):
    versions = store.subjects.get(subject, [])
    if not versions:
        raise subject_not_found(subject)
    if permanent:
        if any(not v["deleted"] for v in versions):
            raise ApiError(404, 40405, f"Subject '{subject}' was not deleted first before being permanently deleted")
        del store.subjects[subject]
        store.config["subjects"].pop(subject, None)
        store.save()
        return 200, [v["version"] for v in versions]
    live = [v for v in versions if not v["deleted"]]
    if not live:
        raise ApiError(404, 40404, f"Subject '{subject}' was soft deleted.Set permanent=true to delete permanently")
    for v in live:
        v["deleted"] = True
    store.save()
    return 200, [v["version"] for v in live]


def route_config(store, method, p, q, body):
    subject = p[1] if len(p) == 2 else None
    if len(p) > 2:
        raise ApiError(404, 404, "HTTP 404 Not Found")
    if method == "GET":
        if subject is None:
            return 200, {"compatibilityLevel": store.config["global"]}
        level = store.config["subjects"].get(subject)
        if level is None:
            if q.get("defaultToGlobal") == "true":
                return 200, {"compatibilityLevel": store.config["global"]}
            raise ApiError(404, 40408, f"Subject '{subject}' does not have subject-level compatibility configured")
        return 200, {"compatibilityLevel": level}
    if method == "PUT":
        level = body.get("compatibility") if isinstance(body, dict) else None
        if not isinstance(level, str) or level.upper() not in LEVELS:
            raise ApiError(422, 42203, "Invalid compatibility level. Valid values are none, backward, forward, full, "
                                       "backward_transitive, forward_transitive, and full_transitive")
        if subject is None:
            store.config["global"] = level.upper()
        else:
            store.config["subjects"][subject] = level.upper()
        store.save()
        return 200, {"compatibility": level.upper()}
    if method == "DELETE":
        if subject is None:
            old = store.config["global"]
            store.config["global"] = "BACKWARD"
        else:
            old = store.config["subjects"].pop(subject, None)
            if old is None:
                raise subject_not_found(subject)
        store.save()
        return 200, {"compatibilityLevel": old}
    raise ApiError(405, 405, "HTTP 405 Method Not Allowed")


def compatibility(store, subject, version, q, body):
    parsed, _ = parse_request_schema(body)
    level = store.level(subject)
    live = store.live_versions(subject)
    if not live:
        raise subject_not_found(subject)
    if version in ("latest", "-1"):
        olds = [Parsed(store.schemas[v["id"]]["schema"]) for v in live]
    else:
        entry = store.version_entry(subject, version)
        if level.endswith("_TRANSITIVE"):
            olds = [Parsed(store.schemas[v["id"]]["schema"]) for v in live if v["version"] <= entry["version"]]
        else:
            olds = [Parsed(store.schemas[entry["id"]]["schema"])]
    problems = check_compatible(level, parsed, olds)
    out = {"is_compatible": not problems}
    if q.get("verbose") == "true":
        out["messages"] = problems
    return 200, out


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--data", help="JSON state file (ids survive restarts); in memory if omitted")
    parser.add_argument("--basic-auth", help="USER:PASSWORD required on every request")
    args = parser.parse_args()
    server = Server((args.host, args.port), Handler)
    server.store = Store(args.data)
    server.basic_auth = args.basic_auth
    sys.stderr.write(f"schema registry listening on http://{args.host}:{server.server_address[1]}\n")
    sys.stderr.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
