#!/usr/bin/env python3
"""A tiny in-memory MyATS API on loopback, for the template's test. Prints its port, then serves.

GET  /v1/candidates?limit=N&cursor=C     -> {"data": [...], "next_cursor": "..." | null}
GET  /v1/applications?limit=N&cursor=C   -> same, applications
POST /v1/candidates {name,email,external_id} -> 201 {"id": ...}
GET  /v1/candidates/search?external_id=X -> {"data": [...]}
GET  /v1/candidates/ID                   -> the candidate, or 404
Every request needs "Authorization: Bearer <MYATS_API_KEY>" (the key is argv[1]).
"""
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlparse

KEY = sys.argv[1]
LOCK = threading.Lock()
CANDIDATES = [{"id": f"c{i}", "name": f"Candidate {i}", "email": f"c{i}@example.com",
               "created_at": f"2024-01-0{i}T09:00:00Z", "external_id": None} for i in range(1, 6)]
APPLICATIONS = [{"id": f"a{i}", "candidate_id": f"c{1 + i % 5}", "status": "active",
                 "created_at": f"2024-02-0{i}T09:00:00Z"} for i in range(1, 7)]


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def authorized(self):
        if self.headers.get("Authorization") != f"Bearer {KEY}":
            self.answer(401, {"error": "unauthorized"})
            return False
        return True

    def page(self, items, query):
        try:
            limit = int(query.get("limit", ["50"])[0])
            cursor = query.get("cursor", ["i:0"])[0]
            if not cursor.startswith("i:") or not 1 <= limit <= 100:
                raise ValueError
            start = int(cursor[2:])
            if not 0 <= start <= len(items):
                raise ValueError
        except ValueError:
            return self.answer(400, {"error": "invalid cursor or limit"})
        end = min(start + limit, len(items))
        self.answer(200, {"data": items[start:end],
                          "next_cursor": f"i:{end}" if end < len(items) else None})

    def do_GET(self):
        if not self.authorized():
            return
        url = urlparse(self.path)
        query = parse_qs(url.query)
        with LOCK:
            if url.path == "/v1/candidates":
                return self.page([c for c in CANDIDATES if c["external_id"] is None], query)
            if url.path == "/v1/applications":
                return self.page(APPLICATIONS, query)
            if url.path == "/v1/candidates/search":
                wanted = query.get("external_id", [""])[0]
                return self.answer(200, {"data": [c for c in CANDIDATES
                                                  if c["external_id"] == wanted and wanted]})
            if url.path.startswith("/v1/candidates/"):
                wanted = unquote(url.path[len("/v1/candidates/"):])
                for candidate in CANDIDATES:
                    if candidate["id"] == wanted:
                        return self.answer(200, candidate)
                return self.answer(404, {"error": "no such candidate"})
        self.answer(404, {"error": "no such endpoint"})

    def do_POST(self):
        if not self.authorized():
            return
        length = int(self.headers.get("Content-Length", "0"))
        try:
            body = json.loads(self.rfile.read(length))
            name, email, external_id = body["name"], body.get("email", ""), body["external_id"]
            if not isinstance(name, str) or not isinstance(external_id, str) or not name:
                raise ValueError
        except (ValueError, KeyError, TypeError):
            return self.answer(422, {"error": "name and external_id are required strings"})
        if urlparse(self.path).path != "/v1/candidates":
            return self.answer(404, {"error": "no such endpoint"})
        with LOCK:
            candidate = {"id": f"n{len(CANDIDATES) + 1}", "name": name, "email": email,
                         "created_at": "2024-03-01T09:00:00Z", "external_id": external_id}
            CANDIDATES.append(candidate)
        self.answer(201, candidate)


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
