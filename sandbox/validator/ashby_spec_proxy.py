#!/usr/bin/env python3
"""A validating proxy in front of the emulated Ashby: Ashby's OpenAPI document is the judge.

    ashby_spec_proxy.py --upstream http://127.0.0.1:PORT [--port 0] [--undocumented record|refuse]

Every `POST /<category>.<method>` is checked against the operation in Ashby's OpenAPI document
(ashby-api-openapi.extract.json beside this file and the path items of
ashby-api-openapi.additions.json, with the readings of ashby-spec-overlay.json)
by python3-jsonschema (Draft 2020-12, as OpenAPI 3.1 says):

- A request body that violates the operation's request schema (an unknown property where the
  schema forbids it, a wrong type or enum, a missing required field) is refused here as Ashby
  refuses input: HTTP 200, `success: false`, `errors: ["invalid_input"]`, `errorInfo {code,
  message, requestId}` (the error shape of the document's Error response); it never reaches
  the emulator.
- A property the request schema does not define (which the schema does not forbid) is recorded;
  `--undocumented refuse` refuses it too. Ashby may ignore or refuse it: both are emulated.
- Every answer is checked against the operation's documented 200 response: the Success branch
  when `success` is true, the Error branch otherwise. With --answer-fields, answer fields the
  document does not define are counted apart (what a client must not rely on).
- Custom field values and feedback values are checked against the branch for the field's type,
  learned from the customField.* and feedbackFormDefinition.* answers that pass through.

Everything else (the sandbox's `/_sandbox/...` controls, uploads, downloads) passes unchanged, and
the emulator's faults are kept: a dropped connection is dropped, a truncated body is truncated.

When listening it prints one line: {"ready": true, "port": P}. GET /_validator/report answers the
counts and the first distinct violations; POST /_validator/reset clears them. With
--violations FILE every violation is also appended there as a JSON line (0600).
"""
import argparse
import copy
import datetime
import decimal
import email.parser
import email.policy
import gzip
import http.client
import http.server
import json
import math
import os
import pathlib
import random
import re
import select
import sys
import threading
import time
import urllib.parse
import zlib

import jsonschema
from jsonschema import Draft202012Validator, validators

HERE = pathlib.Path(__file__).resolve().parent
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "te", "trailer",
              "upgrade", "proxy-connection", "expect"}
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
SAMPLES_KEPT = 200
UPSTREAM_IDLE_S = 2.0


def pointer_escape(part):
    return part.replace("~", "~0").replace("/", "~1")


def resolve_pointer(document, pointer):
    node = document
    for part in pointer.lstrip("/").split("/") if pointer.strip("/") else []:
        part = part.replace("~1", "/").replace("~0", "~")
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def apply_overlay(document, overlay):
    """Replaces (or renames a keyword of) the nodes the overlay names; returns the document."""
    for patch in overlay["patches"]:
        parent_pointer, _, last = patch["pointer"].rpartition("/")
        parent = resolve_pointer(document, parent_pointer)
        key = last.replace("~1", "/").replace("~0", "~")
        if "rename" in patch:
            node = parent[key]
            node[patch["rename"]["to"]] = node.pop(patch["rename"]["from"])
        else:
            parent[key] = patch["value"]
    return document


def unhook_dangling_refs(document):
    """The extract keeps only the path items the sink uses; a $ref into one it left out (e.g.
    job.info's compensationTiers -> job.updateCompensation) cannot be checked: it becomes `{}`
    (anything), and the list is reported, never silently wrong."""
    dangling = set()

    def walk(node):
        if isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#"):
                try:
                    resolve_pointer(document, ref[1:])
                except (KeyError, IndexError, ValueError):
                    dangling.add(ref)
                    del node["$ref"]
                    node["x-atsm-unchecked"] = ref
            for value in node.values():
                walk(value)

    walk(document)
    return sorted(dangling)


INT64 = (-2 ** 63, 2 ** 63 - 1)
# ISO 4217's largest minor unit is 4 digits (CLF, UYW): an amount finer than that is no amount of
# any currency.
CURRENCY_DECIMALS = 4
# `binary` names a multipart file part, which the proxy sees as a placeholder, never the bytes.
FORMATS_NOT_CHECKED = {"binary"}


def format_checker():
    """jsonschema's checkers (`uri` comes from python3-rfc3987) and the ones it lacks."""
    checker = jsonschema.FormatChecker()

    # Debian 12's jsonschema checks date-time only with rfc3339-validator, which Debian does not
    # package: RFC 3339 section 5.6 (a full date, a time and an offset), then a real date.
    @checker.checks("date-time", raises=ValueError)
    def is_date_time(instance):
        if not isinstance(instance, str):
            return True
        if not RFC3339.match(instance):
            return False
        datetime.datetime.fromisoformat(instance.replace("Z", "+00:00").replace("z", "+00:00"))
        return True

    # OpenAPI's format registry: int64 is a signed 64-bit integer.
    @checker.checks("int64")
    def is_int64(instance):
        if isinstance(instance, bool) or not isinstance(instance, (int, float)):
            return True
        return INT64[0] <= instance <= INT64[1]

    # Ashby's own format (not in OpenAPI's registry) on a number: an amount of money, so finite
    # (Python's json takes NaN and Infinity) and no finer than any currency's minor unit.
    @checker.checks("currency")
    def is_currency(instance):
        if isinstance(instance, bool) or not isinstance(instance, (int, float)):
            return True
        if isinstance(instance, int):
            return True
        if not math.isfinite(instance):
            return False
        return -decimal.Decimal(repr(instance)).as_tuple().exponent <= CURRENCY_DECIMALS

    return checker


def formats_unchecked(document, checker):
    """The formats the document uses that the checker cannot assert (should be none)."""
    used = set()

    def walk(node):
        if isinstance(node, dict):
            if isinstance(node.get("format"), str):
                used.add(node["format"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(document)
    return sorted(used - set(checker.checkers) - FORMATS_NOT_CHECKED)


def strict(node, document, seen=()):
    """The same schema with `unevaluatedProperties: false` on every object a property or an array
    item holds, and on the body itself, so a property the schema does not define fails. Only
    places a value sits are wrapped (never an allOf branch), and unevaluatedProperties sees through
    $ref/allOf/anyOf/oneOf, so a properties list split across allOf branches stays whole."""
    if isinstance(node, list):
        return [strict(item, document, seen) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        ref = node["$ref"]
        siblings = {k: strict(v, document, seen) for k, v in node.items() if k != "$ref"}
        if ref in seen or not ref.startswith("#"):
            return node
        target = strict(resolve_pointer(document, ref[1:]), document, seen + (ref,))
        return {"allOf": [target], **siblings} if siblings else target
    out = {}
    for key, value in node.items():
        if key == "properties" and isinstance(value, dict):
            out[key] = {name: closed(strict(sub, document, seen)) for name, sub in value.items()}
        elif key in ("items", "additionalProperties") and isinstance(value, dict):
            out[key] = closed(strict(value, document, seen))
        elif key in ("allOf", "anyOf", "oneOf", "not", "if", "then", "else"):
            out[key] = strict(value, document, seen)
        else:
            out[key] = value
    return out


def declares_properties(schema):
    """Whether the schema lists properties (itself or through allOf/anyOf/oneOf): an object
    schema without any is a free-form map (e.g. submittedValues) and stays open."""
    if not isinstance(schema, dict):
        return False
    return "properties" in schema or any(
        declares_properties(branch) for key in ("allOf", "anyOf", "oneOf")
        for branch in schema.get(key, []))


def closed(schema):
    if not declares_properties(schema):
        return schema
    return {"allOf": [schema], "unevaluatedProperties": False}


# jsonschema finds the properties an object's schema evaluated by validating each member's
# subschema again, so with a closed object at every level a body is validated again at every
# level above it: 37 ms for one applicationFeedback.submit. Within one check, an object's
# unevaluatedProperties verdict depends only on (schema node, instance), so it is computed once
# (jsonschema's own keyword, remembered; the errors are made anew, as jsonschema mutates them).
_UNEVALUATED = Draft202012Validator.VALIDATORS["unevaluatedProperties"]
_verdicts = threading.local()


def remembered_unevaluated_properties(validator, value, instance, schema):
    cache = getattr(_verdicts, "cache", None)
    if cache is None:
        yield from _UNEVALUATED(validator, value, instance, schema)
        return
    key = (id(schema), id(instance))
    if key not in cache:
        cache[key] = [error.message for error in _UNEVALUATED(validator, value, instance, schema)]
    for message in cache[key]:
        yield jsonschema.ValidationError(message)


StrictValidator = validators.extend(
    Draft202012Validator, {"unevaluatedProperties": remembered_unevaluated_properties})


class Spec:
    """The document's validators per operation, built once."""

    def __init__(self, spec_path, overlay_path, index_path, additions_path=None):
        with open(spec_path, encoding="utf-8") as f:
            self.document = json.load(f)
        if additions_path:
            # Path items of the full document the extract left out (application.list, and
            # job.updateCompensation that job.info's compensationTiers refers into), unchanged.
            with open(additions_path, encoding="utf-8") as f:
                for path, item in json.load(f)["paths"].items():
                    self.document["paths"].setdefault(path, item)
        with open(overlay_path, encoding="utf-8") as f:
            apply_overlay(self.document, json.load(f))
        self.dangling = unhook_dangling_refs(self.document)
        self.indexed = set()
        with open(index_path, encoding="utf-8") as f:
            for line in f:
                if line.startswith("/"):
                    self.indexed.add(line.strip()[1:])
        self.checker = format_checker()
        self.unchecked_formats = formats_unchecked(self.document, self.checker)
        self._cache = {}
        self._lock = threading.Lock()

    def operation(self, method):
        return self.document["paths"].get("/" + method, {}).get("post")

    def validator(self, pointer, closed_objects=False):
        """A validator for the schema at `pointer` (None when the document has no such node)."""
        key = (pointer, closed_objects)
        with self._lock:
            if key in self._cache:
                return self._cache[key]
        try:
            resolve_pointer(self.document, pointer)
        except (KeyError, IndexError, ValueError):
            validator = None
        else:
            schema = {"$ref": "#" + pointer}
            if closed_objects:
                schema = closed(strict(schema, self.document))
            validator = self._make(schema, StrictValidator if closed_objects else
                                   Draft202012Validator)
        with self._lock:
            self._cache[key] = validator
        return validator

    def undocumented(self, pointer, instance):
        """Members the schema at `pointer` does not define (innermost first), one check."""
        _verdicts.cache = {}
        try:
            return innermost(self.validator(pointer, True).iter_errors(instance))
        finally:
            _verdicts.cache = None

    def _make(self, schema, kind):
        try:
            from referencing import Registry, Resource
            from referencing.jsonschema import DRAFT202012
        except ImportError:  # Debian 12's jsonschema 4.10 predates `referencing`
            resolver = jsonschema.RefResolver("", self.document)
            return kind(schema, resolver=resolver, format_checker=self.checker)
        resource = Resource.from_contents(self.document, default_specification=DRAFT202012)
        registry = Registry().with_resource("", resource)
        return kind(schema, registry=registry, format_checker=self.checker)


def request_pointer(method, content_type):
    return (f"/paths/{pointer_escape('/' + method)}/post/requestBody/content/"
            f"{pointer_escape(content_type)}/schema")


def response_pointer(method, branch=None):
    pointer = f"/paths/{pointer_escape('/' + method)}/post/responses/200/content/application~1json/schema"
    return pointer if branch is None else f"{pointer}/oneOf/{branch}"


def innermost(errors):
    """Undocumented-property errors without their echoes: an object whose member failed yields no
    annotations, so every enclosing object reports all its members again; keep the deepest."""
    errors = list(errors)
    paths = [tuple(e.absolute_path) for e in errors]
    return [e for e, path in zip(errors, paths)
            if not any(len(other) > len(path) and other[:len(path)] == path for other in paths)]


def describe(error):
    where = "/".join(str(p) for p in error.absolute_path) or "(body)"
    return f"{where}: {error.message[:400]}"


class Validation:
    """What was checked and what failed, shared by the handler threads."""

    def __init__(self, log_path):
        self.lock = threading.Lock()
        self.log = None
        if log_path:
            fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            self.log = os.fdopen(fd, "a", encoding="utf-8")
        self.unchecked_refs = []
        self.unchecked_formats = []
        self.reset()
        # Learned from answers: custom field id -> fieldType; feedback form id -> {path: type}.
        self.field_types = {}
        self.form_fields = {}

    def reset(self):
        with self.lock:
            self.requests = {}  # method -> requests checked
            self.unvalidated = {}  # method -> requests the extract cannot check
            self.counts = {}  # "kind method" -> count
            self.samples = []
            self.sample_keys = set()

    def checked(self, method, validated=True):
        with self.lock:
            table = self.requests if validated else self.unvalidated
            table[method] = table.get(method, 0) + 1

    def violation(self, kind, method, detail, body=None):
        with self.lock:
            key = f"{kind} {method}"
            self.counts[key] = self.counts.get(key, 0) + 1
            sample_key = (kind, method, re.sub(r"\d+", "_", detail))
            if sample_key not in self.sample_keys and len(self.samples) < SAMPLES_KEPT:
                self.sample_keys.add(sample_key)
                sample = {"kind": kind, "method": method, "detail": detail}
                if body is not None:
                    sample["body"] = json.dumps(body)[:2000]
                self.samples.append(sample)
            if self.log:
                self.log.write(json.dumps({"kind": kind, "method": method, "detail": detail}) + "\n")
                self.log.flush()

    def report(self):
        with self.lock:
            failing = {k: v for k, v in self.counts.items()
                       if not k.startswith("response-undocumented ")}
            return {"requests": dict(self.requests), "unvalidated": dict(self.unvalidated),
                    "violations": dict(self.counts), "failing": sum(failing.values()),
                    "unchecked_refs": self.unchecked_refs,
                    "unchecked_formats": self.unchecked_formats,
                    "samples": list(self.samples)}


def learn(validation, method, results):
    """Remembers field types from the answers that define them, for the typed value checks."""
    items = results if isinstance(results, list) else [results]
    for item in items:
        if not isinstance(item, dict):
            continue
        if method.startswith("customField.") and "fieldType" in item and "id" in item:
            validation.field_types[item["id"]] = item["fieldType"]
        if method.startswith("feedbackFormDefinition.") and "id" in item:
            fields = {}
            for section in (item.get("formDefinition") or {}).get("sections") or []:
                for entry in section.get("fields") or []:
                    field = entry.get("field") or {}
                    if "path" in field and "type" in field:
                        fields[field["path"]] = field["type"]
            validation.form_fields[item["id"]] = fields


def branch_for(schema_node, field_type):
    """Index of the anyOf branch whose title names `field_type` (titles list types, ", ")."""
    for index, branch in enumerate(schema_node.get("anyOf", [])):
        if field_type in [t.strip() for t in branch.get("title", "").split(",")]:
            return index
    return None


def typed_value_errors(spec, validation, method, body):
    """Each value against the branch of its field's type (the type comes from the target)."""
    errors = []
    if method == "customField.setValues":
        base = request_pointer(method, "application/json") + "/properties/values/items/properties/fieldValue"
        pairs = [(i, v.get("fieldId"), v.get("fieldValue")) for i, v in
                 enumerate(body.get("values") or []) if isinstance(v, dict)]
        types = validation.field_types
        label = "values/{}/fieldValue"
    elif method == "applicationFeedback.submit":
        base = "/x-atsm-feedback-form/properties/fieldSubmissions/items/properties/value"
        pairs = [(i, s.get("path"), s.get("value")) for i, s in enumerate(
            ((body.get("feedbackForm") or {}).get("fieldSubmissions") or [])) if isinstance(s, dict)]
        types = validation.form_fields.get(body.get("formDefinitionId"), {})
        label = "feedbackForm/fieldSubmissions/{}/value"
    else:
        return errors
    node = resolve_pointer(spec.document, base)
    for index, key, value in pairs:
        field_type = types.get(key)
        branch = branch_for(node, field_type) if field_type else None
        if branch is None:
            continue
        validator = spec.validator(f"{base}/anyOf/{branch}")
        for error in validator.iter_errors(value):
            errors.append(f"{label.format(index)} ({field_type} field): {error.message[:300]}")
    return errors


def multipart_fields(content_type, body):
    """The parts of a multipart/form-data body: text fields as strings, files as a placeholder."""
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body)
    fields = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        if part.get_filename() is not None:
            fields[name] = "(file)"
        else:
            fields[name] = part.get_payload(decode=True).decode("utf-8", "replace")
    return fields


def request_id():
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    return "".join(random.choice(alphabet) for _ in range(26))


class Proxy(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256

    def __init__(self, address, upstream, spec, validation, refuse_undocumented):
        super().__init__(address, Handler)
        parsed = urllib.parse.urlsplit(upstream)
        self.upstream = (parsed.hostname, parsed.port)
        self.spec = spec
        self.validation = validation
        self.refuse_undocumented = refuse_undocumented
        self.refuse_invalid = True
        self.check_answer_fields = False
        self.verbose = False


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out as two writes: with Nagle on, the client's delayed ACK holds the
    # body back ~40 ms per answer.
    disable_nagle_algorithm = True

    def log_message(self, format, *args):  # quiet: the tests read the report, not a log
        pass

    def do_GET(self):
        self.serve()

    def do_POST(self):
        self.serve()

    def do_PUT(self):
        self.serve()

    def do_DELETE(self):
        self.serve()

    def read_body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def serve(self):
        body = self.read_body()
        path = urllib.parse.urlsplit(self.path).path
        if path.startswith("/_validator/"):
            return self.control(path)
        method = path[1:]
        api_call = (self.command == "POST" and "." in method and not method.startswith("_")
                    and "/" not in method and self.headers.get("Authorization"))
        if api_call:
            try:
                refusal = self.check_request(method, body)
            except Exception as error:  # a validator fault must show, not drop the connection
                self.server.validation.violation("validator-error", method, repr(error)[:500])
                refusal = None
            if refusal is not None:
                return self.answer(200, {"Content-Type": "application/json"},
                                   json.dumps(refusal).encode())
        self.forward(body, method if api_call else None)

    def control(self, path):
        validation = self.server.validation
        if path == "/_validator/report" and self.command == "GET":
            payload = validation.report()
        elif path == "/_validator/reset" and self.command == "POST":
            validation.reset()
            payload = {"reset": True}
        else:
            return self.answer(404, {"Content-Type": "application/json"},
                               b'{"error":"GET /_validator/report or POST /_validator/reset"}')
        self.answer(200, {"Content-Type": "application/json"}, json.dumps(payload).encode())

    def check_request(self, method, raw):
        """None to forward, or the refusal to answer."""
        spec, validation = self.server.spec, self.server.validation
        if spec.operation(method) is None:
            if method in spec.indexed:
                validation.checked(method, validated=False)  # in the full document, not the extract
            else:
                validation.violation("undocumented-operation", method, "not in Ashby's document")
            return None
        content_type = (self.headers.get("Content-Type") or "application/json").split(";")[0].strip()
        try:
            if content_type == "multipart/form-data":
                body = multipart_fields(self.headers.get("Content-Type"), raw)
            else:
                body = json.loads(raw or b"{}")
        except (ValueError, UnicodeDecodeError) as error:
            validation.checked(method)
            validation.violation("request-invalid", method, f"body is not JSON: {error}")
            return self.refusal(method, f"Request payload is malformed: {error}")
        validation.checked(method)
        validator = spec.validator(request_pointer(method, content_type))
        if validator is None:
            validation.violation("request-invalid", method,
                                 f"the operation takes no {content_type} body")
            return self.refusal(method, f"Unsupported content type {content_type}")
        problems = [describe(e) for e in validator.iter_errors(body)]
        if not problems and content_type == "application/json" and isinstance(body, dict):
            problems = typed_value_errors(spec, validation, method, body)
        if problems:
            for problem in problems:
                validation.violation("request-invalid", method, problem, body)
            if self.server.refuse_invalid:
                return self.refusal(method, "; ".join(problems))
            return None
        undocumented = [describe(e) for e in
                        spec.undocumented(request_pointer(method, content_type), body)]
        for problem in undocumented:
            validation.violation("request-undocumented", method, problem, body)
        if undocumented and self.server.refuse_undocumented:
            return self.refusal(method, "; ".join(undocumented))
        return None

    @staticmethod
    def refusal(method, message):
        return {"success": False, "errors": ["invalid_input"],
                "errorInfo": {"code": "invalid_input",
                              "message": f"Invalid input for {method}: {message}"[:2000],
                              "requestId": request_id()}}

    def check_response(self, method, status, raw, encoding):
        spec, validation = self.server.spec, self.server.validation
        if status != 200 or spec.operation(method) is None:
            return
        try:
            if encoding == "gzip":
                raw = gzip.decompress(raw)
            elif encoding == "deflate":
                raw = zlib.decompress(raw)
            answer = json.loads(raw)
        except ValueError as error:
            validation.violation("response-invalid", method, f"HTTP 200 body is not JSON: {error}")
            return
        success = isinstance(answer, dict) and answer.get("success") is True
        validator = spec.validator(response_pointer(method, 0 if success else 1))
        if validator is None:
            validator = spec.validator(response_pointer(method))
        problems = [describe(error) for error in validator.iter_errors(answer)]
        for problem in problems:
            validation.violation("response-invalid", method, problem)
        # Undocumented fields only mean something in an answer that is otherwise valid: a failed
        # branch yields no annotations, so every field would look undocumented.
        if success and not problems and self.server.check_answer_fields:
            for error in spec.undocumented(response_pointer(method, 0), answer):
                validation.violation("response-undocumented", method, describe(error))
        if success:
            learn(validation, method, answer.get("results"))

    def upstream_connection(self):
        """This client connection's own kept-alive connection to the emulator (a connection per
        request would overflow the emulator's listen backlog at 32 writers). One the emulator
        closed while idle (its keep-alive timeout) is replaced before use: a drop after the
        request is sent is a fault, and is passed on."""
        connection = getattr(self, "_upstream", None)
        if connection is not None and connection.sock is not None:
            readable, _, _ = select.select([connection.sock], [], [], 0)
            # EOF (or stray bytes) on an idle connection: it is finished; one idle for a while
            # may be closed by the emulator (keep-alive timeout 5 s) while we send: replace it.
            if readable or time.monotonic() - self._upstream_used > UPSTREAM_IDLE_S:
                connection.close()
        if connection is None:
            connection = http.client.HTTPConnection(*self.server.upstream, timeout=600)
            self._upstream = connection
        self._upstream_used = time.monotonic()
        return connection

    def finish(self):
        if getattr(self, "_upstream", None) is not None:
            self._upstream.close()
        super().finish()

    def forward(self, body, method):
        upstream = self.upstream_connection()
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        try:
            upstream.request(self.command, self.path, body=body, headers=headers)
            response = upstream.getresponse()
            try:
                data = response.read()
                complete = True
            except http.client.IncompleteRead as partial:
                data, complete = partial.partial, False
        except (OSError, http.client.HTTPException) as error:
            # The emulator dropped the connection (a reset or lost-response fault): so do we.
            if self.server.verbose:
                print(f"upstream {self.command} {self.path}: {error!r}", file=sys.stderr, flush=True)
            upstream.close()
            self.close_connection = True
            return
        out_headers = {k: v for k, v in response.getheaders() if k.lower() not in HOP_BY_HOP}
        if not complete or response.will_close:
            upstream.close()
        if not complete:
            # A truncated answer stays truncated: the full length announced, part of the body.
            self.answer(response.status, out_headers, data, announced=response.length or
                        int(response.getheader("Content-Length") or len(data) + 1))
            self.close_connection = True
            return
        if method:
            try:
                self.check_response(method, response.status, data,
                                    (response.getheader("Content-Encoding") or "").strip().lower())
            except Exception as error:  # a validator fault must show, not drop the answer
                self.server.validation.violation("validator-error", method, repr(error)[:500])
        self.answer(response.status, out_headers, data)

    def answer(self, status, headers, data, announced=None):
        try:
            self.send_response_only(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(announced if announced is not None else len(data)))
            self.end_headers()
            self.wfile.write(data)
            self.wfile.flush()
        except OSError:
            self.close_connection = True  # the client gave up (its timeout): nothing to tell


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--upstream", required=True, help="the emulated Ashby, http://HOST:PORT")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0: any free port (printed)")
    parser.add_argument("--spec", default=str(HERE / "ashby-api-openapi.extract.json"))
    parser.add_argument("--overlay", default=str(HERE / "ashby-spec-overlay.json"))
    parser.add_argument("--paths-index", default=str(HERE / "paths-index.txt"))
    parser.add_argument("--additions", default=str(HERE / "ashby-api-openapi.additions.json"),
                        help="path items of the full document the extract lacks")
    parser.add_argument("--undocumented", choices=["record", "refuse"], default="record",
                        help="a request property the schema does not define: record it and "
                             "forward (Ashby ignores it), or refuse it too (Ashby refuses it)")
    parser.add_argument("--invalid", choices=["refuse", "record"], default="refuse",
                        help="a request the document forbids: refuse it as Ashby does (default), "
                             "or only record it and forward it (to see a whole run's violations)")
    parser.add_argument("--answer-fields", action="store_true",
                        help="also count answer fields the document does not define "
                             "(response-undocumented; costs ~10 ms per answer object)")
    parser.add_argument("--violations", help="also append every violation here (JSON lines)")
    parser.add_argument("--verbose", action="store_true",
                        help="say on stderr when the emulator drops a connection")
    args = parser.parse_args()

    spec = Spec(args.spec, args.overlay, args.paths_index, args.additions)
    validation = Validation(args.violations)
    validation.unchecked_refs = spec.dangling
    validation.unchecked_formats = spec.unchecked_formats
    server = Proxy((args.host, args.port), args.upstream, spec, validation,
                   args.undocumented == "refuse")
    server.verbose = args.verbose
    server.refuse_invalid = args.invalid == "refuse"
    server.check_answer_fields = args.answer_fields
    print(json.dumps({"ready": True, "port": server.server_address[1]}), flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
