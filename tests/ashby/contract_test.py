#!/usr/bin/env python3
"""Contract test: the emulated Ashby against Ashby's OpenAPI document, both directions.

Starts `ats-sandbox` and the validating proxy (sandbox/validator/ashby_spec_proxy.py) in front of
its Ashby, then
1. calls every method the Ashby sink calls (plugins/ashby), with bodies the document allows: each
   must succeed, and neither a request nor an answer may violate the document;
2. sends requests the document forbids: each is refused as Ashby refuses (HTTP 200,
   success:false, errorInfo.code invalid_input) and never reaches the emulator;
3. proves an answer that misses a required field is caught (a stub upstream);
4. runs 32 writers at once through the proxy.
Expected values come from the document and the sandbox's own state, never from the proxy's code.
"""
import argparse
import base64
import concurrent.futures
import http.client
import http.server
import json
import os
import pathlib
import re
import subprocess
import sys
import threading
import urllib.parse
import urllib.request
import uuid

# Every method plugins/ashby calls; --sink-dir checks this list against the sink's source.
SINK_METHODS = sorted("""
application.changeStage application.create application.info application.list application.update
applicationFeedback.list applicationFeedback.submit archiveReason.list candidate.addTag
candidate.create candidate.createNote candidate.info candidate.list candidate.listNotes
candidate.search candidate.update candidate.uploadFile candidate.uploadResume candidateTag.create
candidateTag.list customField.create customField.list customField.setValues department.create
department.list feedbackFormDefinition.list file.createFileUploadHandle file.info job.create
job.info job.list job.setStatus job.update jobInterviewPlan.info interviewPlan.list
interviewStage.list location.create location.list source.list user.list hiringTeam.addMember
hiringTeamRole.list""".split())
# In Ashby's index of methods but outside the spec extract: called and forwarded, its answer
# unverified (docs/vendors/ashby.md).
OUTSIDE_EXTRACT = {"hiringTeamRole.list"}

failures = []


def check(condition, what):
    if not condition:
        failures.append(what)
        print("FAIL:", what, flush=True)
    return condition


def start(command, env=None):
    """Starts a server that prints one JSON ready line; returns (process, that line)."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE,
                               env=env, text=True)
    line = process.stdout.readline()
    if not line:
        process.kill()
        raise RuntimeError(f"{command[0]} did not start")
    return process, json.loads(line)


def fetch(url, method="GET", body=None, headers=None):
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.status, response.read()


class Ashby:
    def __init__(self, base_url, key):
        self.base_url = base_url
        self.auth = "Basic " + base64.b64encode(f"{key}:".encode()).decode()
        self.local = threading.local()

    def raw(self, method, body, content_type="application/json", chunked=False):
        # One kept-alive connection per thread, as the sink's HTTP client keeps them.
        connection = getattr(self.local, "connection", None)
        if connection is None:
            parsed = urllib.parse.urlsplit(self.base_url)
            connection = self.local.connection = http.client.HTTPConnection(
                parsed.hostname, parsed.port, timeout=60)
        connection.request("POST", f"/{method}", body=iter([body]) if chunked else body,
                           headers={"Authorization": self.auth, "Content-Type": content_type},
                           encode_chunked=chunked)
        response = connection.getresponse()
        return response.status, json.loads(response.read())

    def call(self, method, body=None):
        status, answer = self.raw(method, json.dumps(body or {}).encode())
        check(status == 200 and answer.get("success") is True,
              f"{method} {json.dumps(body)[:300]} must succeed: {json.dumps(answer)[:500]}")
        return answer

    def refused(self, method, body, why):
        status, answer = self.raw(method, json.dumps(body).encode())
        check(status == 200 and answer.get("success") is False
              and answer.get("errorInfo", {}).get("code") == "invalid_input"
              and answer.get("errors") == ["invalid_input"]
              and isinstance(answer["errorInfo"].get("requestId"), str),
              f"{why}: {method} must be refused with invalid_input: {json.dumps(answer)[:400]}")
        return answer


def multipart(fields, file_field, file_name, content):
    boundary = "atsm" + uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                     f"{value}\r\n".encode())
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; '
                 f'filename="{file_name}"\r\nContent-Type: application/pdf\r\n\r\n'.encode()
                 + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def by(items, key, value):
    return next(item for item in items if item.get(key) == value)


def every_method(ashby, sandbox_url):
    """Drives every sink method with a valid body; returns ids the negative cases reuse."""
    users = ashby.call("user.list", {"includeDeactivated": True})["results"]
    user_id = users[0]["id"]
    sources = ashby.call("source.list", {})["results"]
    reasons = ashby.call("archiveReason.list", {})["results"]
    plans = ashby.call("interviewPlan.list", {"limit": 100})["results"]
    plan_id = plans[0]["id"]
    stages = ashby.call("interviewStage.list", {"interviewPlanId": plan_id})["results"]
    forms = ashby.call("feedbackFormDefinition.list", {"limit": 100})["results"]
    fields = ashby.call("customField.list", {"limit": 100})["results"]
    ashby.call("department.list", {"limit": 100})
    ashby.call("location.list", {})
    department = ashby.call("department.create", {"name": "Contract Engineering"})["results"]
    location = ashby.call("location.create", {"name": "Contract City", "type": "Location"})["results"]
    job = ashby.call("job.create", {"title": "Contract Tester", "teamId": department["id"],
                                    "locationId": location["id"]})["results"]
    ashby.call("job.update", {"jobId": job["id"], "defaultInterviewPlanId": plan_id})
    ashby.call("job.setStatus", {"jobId": job["id"], "status": "Open"})
    roles = ashby.call("hiringTeamRole.list", {"namesOnly": False})["results"]
    ashby.call("hiringTeam.addMember", {"jobId": job["id"], "teamMemberId": user_id,
                                        "roleId": roles[0]["id"]})
    ashby.call("job.info", {"id": job["id"]})
    ashby.call("job.list", {"limit": 100, "status": ["Draft", "Open", "Closed", "Archived"]})
    ashby.call("jobInterviewPlan.info", {"jobId": job["id"]})
    date_field = ashby.call("customField.create", {"fieldType": "Date", "objectType": "Candidate",
                                                   "title": "Contract Date"})["results"]
    currency_field = ashby.call("customField.create", {"fieldType": "Currency",
                                                       "objectType": "Candidate",
                                                       "title": "Contract Salary"})["results"]
    string_field = by(fields, "fieldType", "String")
    candidate = ashby.call("candidate.create", {
        "name": "Ada Contract", "email": "ada.contract@example.com",
        "phoneNumber": "+1 555 0100", "linkedInUrl": "https://www.linkedin.com/in/ada",
        "alternateEmailAddresses": ["ada@example.org"], "sourceId": sources[0]["id"],
        "creditedToUserId": user_id, "location": {"city": "Berlin", "country": "Germany"},
        "createdAt": "2021-03-04T05:06:07.000Z"})["results"]
    ashby.call("candidate.update", {"candidateId": candidate["id"], "name": "Ada Contract",
                                    "socialLinks": [{"type": "GitHub",
                                                     "url": "https://github.com/ada"}]})
    ashby.call("candidate.info", {"id": candidate["id"]})
    ashby.call("candidate.search", {"email": "ada.contract@example.com"})
    ashby.call("candidate.search", {"name": "Ada Contract"})
    status, answer = ashby.raw("candidate.search", b'{"email": "ada.contract@example.com"}',
                               chunked=True)
    check(status == 200 and len(answer.get("results", [])) == 1,
          f"a chunked request body is read whole: {json.dumps(answer)[:300]}")
    ashby.call("candidate.list", {"limit": 100})
    tag = ashby.call("candidateTag.create", {"title": "contract"})["results"]
    ashby.call("candidateTag.list", {"limit": 100})
    ashby.call("candidate.addTag", {"candidateId": candidate["id"], "tagId": tag["id"]})
    ashby.call("customField.setValues", {
        "objectId": candidate["id"], "objectType": "Candidate",
        "values": [{"fieldId": string_field["id"], "fieldValue": "a string"},
                   {"fieldId": date_field["id"], "fieldValue": "2024-01-05T00:00:00.000Z"},
                   {"fieldId": currency_field["id"],
                    "fieldValue": {"value": 120000, "currencyCode": "EUR"}}]})
    ashby.call("candidate.createNote", {"candidateId": candidate["id"],
                                        "note": {"type": "text/plain", "value": "One\nTwo"},
                                        "createdAt": "2021-03-05T00:00:00.000Z"})
    ashby.call("candidate.createNote", {"candidateId": candidate["id"],
                                        "note": {"type": "text/html",
                                                 "value": "<b>Bold</b><ul><li>one</li></ul>"}})
    ashby.call("candidate.listNotes", {"candidateId": candidate["id"], "limit": 100})
    lead = next(s for s in stages if s["type"] == "Lead")
    screen = next(s for s in stages if s["type"] == "Active")
    archived = next(s for s in stages if s["type"] == "Archived")
    application = ashby.call("application.create", {
        "candidateId": candidate["id"], "jobId": job["id"], "interviewPlanId": plan_id,
        "sourceId": sources[0]["id"], "creditedToUserId": user_id,
        "createdAt": "2021-03-04T05:06:07.000Z",
        "applicationHistory": [
            {"stageId": lead["id"], "stageNumber": 0, "enteredStageAt": "2021-03-04T05:06:07Z"},
            {"stageId": screen["id"], "stageNumber": 1, "enteredStageAt": "2021-03-06T00:00:00Z"}]
    })["results"]
    ashby.call("application.update", {"applicationId": application["id"],
                                      "sourceId": sources[1]["id"]})
    ashby.call("application.changeStage", {"applicationId": application["id"],
                                           "interviewStageId": archived["id"],
                                           "archiveReasonId": reasons[0]["id"]})
    ashby.call("application.info", {"applicationId": application["id"]})
    ashby.call("application.list", {"limit": 100})
    form = forms[0]
    form_fields = {f["field"]["type"]: f["field"]["path"]
                   for section in form["formDefinition"]["sections"] for f in section["fields"]}
    submission = [{"path": path, "value": {"score": 4} if kind == "Score" else "Good"}
                  for kind, path in form_fields.items()]
    ashby.call("applicationFeedback.submit", {
        "applicationId": application["id"], "formDefinitionId": form["id"], "userId": user_id,
        "feedbackForm": {"fieldSubmissions": submission}})
    ashby.call("applicationFeedback.list", {"applicationId": application["id"], "limit": 100})
    # Files: the upload-handle flow (storage answered directly), then the multipart form.
    upload = ashby.call("file.createFileUploadHandle", {
        "fileUploadContext": "CandidateResume", "filename": "cv.pdf",
        "contentType": "application/pdf", "contentLength": 9})["results"]
    form_body, form_type = multipart(upload["fields"], "file", "cv.pdf", b"%PDF-1.4\n")
    check(fetch(upload["url"], "POST", form_body, {"Content-Type": form_type})[0] == 204,
          "the presigned upload is stored")
    with_resume = ashby.call("candidate.uploadResume", {"candidateId": candidate["id"],
                                                        "resumeHandle": upload["handle"]})
    form_body, form_type = multipart({"candidateId": candidate["id"]}, "file", "notes.pdf",
                                     b"%PDF-1.4 other\n")
    status, answer = ashby.raw("candidate.uploadFile", form_body, form_type)
    check(status == 200 and answer.get("success") is True,
          f"multipart candidate.uploadFile: {json.dumps(answer)[:300]}")
    handle = with_resume["results"]["fileHandles"][0]["handle"]
    ashby.call("file.info", {"fileHandle": handle})
    return {"candidate": candidate, "job": job, "department": department, "location": location,
            "application": application, "form": form, "form_fields": form_fields,
            "date_field": date_field, "currency_field": currency_field, "user_id": user_id,
            "plan_id": plan_id, "tag": tag}


def sandbox_counts(sandbox_url):
    return json.loads(fetch(f"{sandbox_url}/_sandbox/state?details=false")[1])["counts"]


def negative_cases(ashby, sandbox_url, ids):
    """Requests the document forbids: refused, and nothing reaches the emulator."""
    before = sandbox_counts(sandbox_url)
    candidate_id = ids["candidate"]["id"]
    ashby.refused("job.create", {"title": "No team", "locationId": ids["location"]["id"]},
                  "a required field missing (teamId)")
    ashby.refused("candidate.create", {"name": 42}, "a wrong type (name)")
    ashby.refused("job.setStatus", {"jobId": ids["job"]["id"], "status": "Paused"},
                  "a value outside the enum (status)")
    ashby.refused("job.info", {"id": "not-a-uuid"}, "an id that is not a uuid")
    ashby.refused("location.list", {"limit": 100},
                  "a property the schema forbids (location.list: additionalProperties false)")
    ashby.refused("customField.setValues", {
        "objectId": candidate_id, "objectType": "Candidate",
        "values": [{"fieldId": ids["currency_field"]["id"],
                    "fieldValue": {"unit": "EUR", "amount": 120000}}]},
        "a Currency value in the source's shape {unit, amount}")
    ashby.refused("customField.setValues", {
        "objectId": candidate_id, "objectType": "Candidate",
        "values": [{"fieldId": ids["date_field"]["id"], "fieldValue": "2024-01-05"}]},
        "a Date value that is not a date-time")
    ashby.refused("candidate.createNote", {"candidateId": candidate_id,
                                           "note": {"type": "text/markdown", "value": "x"}},
                  "a note type outside the enum")
    score_path = ids["form_fields"]["Score"]
    for bad in ("4", 4, {"score": 5}, {"score": 4, "comment": "x"}):
        others = [{"path": p, "value": "Good"} for k, p in ids["form_fields"].items()
                  if k != "Score"]
        body = {"applicationId": ids["application"]["id"], "formDefinitionId": ids["form"]["id"],
                "feedbackForm": {"fieldSubmissions": [{"path": score_path, "value": bad}] + others}}
        if isinstance(bad, dict) and "comment" in bad:
            continue  # undocumented, not invalid: recorded below
        ashby.refused("applicationFeedback.submit", body,
                      f"a Score value other than {{score: 1..4}} ({json.dumps(bad)})")
    # Formats jsonschema lacks a checker for (uri needs python3-rfc3987; int64 and currency are
    # the proxy's): an invalid value of each is caught (currency, an answer format: part 3).
    answer = ashby.refused("candidate.addEmailMessage", {
        "candidateId": candidate_id, "emailProviderEmailId": "m-1", "subject": "Hello",
        "from": "a@example.com", "to": "b@example.com", "body": "<p>Hi</p>",
        "messageUrl": "not a uri"}, "a messageUrl that is no URI (format uri)")
    check("'uri'" in answer.get("errorInfo", {}).get("message", ""), f"refused for its format: {answer}")
    answer = ashby.refused("job.list", {"openedAfter": 2 ** 63},
                           "an openedAfter beyond a signed 64-bit integer (format int64)")
    check("'int64'" in answer.get("errorInfo", {}).get("message", ""),
          f"refused for its format: {answer}")
    status, answer = ashby.raw("candidate.create", b"{not json")
    check(status == 200 and answer.get("errorInfo", {}).get("code") == "invalid_input",
          f"a body that is not JSON is refused: {answer}")
    after = sandbox_counts(sandbox_url)
    check(before == after, f"refused requests never reach the emulator: {before} -> {after}")


def undocumented_cases(ashby, ids):
    """Properties the schema does not define but does not forbid: recorded, forwarded. (The
    emulator itself refuses the ones the sink once sent, `limit` on source.list and `confidential`
    on job.create, so a made-up name stands for "any undocumented property" here.)"""
    ashby.call("source.list", {"atsmProbe": 100})
    ashby.call("job.create", {"title": "Secret", "teamId": ids["department"]["id"],
                              "locationId": ids["location"]["id"], "atsmProbe": True})
    ashby.call("candidate.create", {"name": "Nested",
                                    "location": {"city": "Oslo", "planet": "Earth"}})


class Broken(http.server.BaseHTTPRequestHandler):
    """An upstream whose department.list answer misses createdAt/updatedAt, and whose
    customField.setValue answers a Currency value of `currency_amount`."""
    currency_amount = 0

    def log_message(self, *args):
        pass

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path == "/customField.setValue":
            body = json.dumps({"success": True, "results": {
                "id": str(uuid.uuid4()), "isPrivate": False, "title": "Salary",
                "value": {"value": Broken.currency_amount, "currencyCode": "EUR"}}}).encode()
        else:
            body = json.dumps({"success": True, "moreDataAvailable": False, "results": [
                {"id": str(uuid.uuid4()), "name": "No dates", "isArchived": False}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def report(proxy_url):
    return json.loads(fetch(f"{proxy_url}/_validator/report")[1])


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sandbox", required=True, help="the ats-sandbox binary")
    parser.add_argument("--proxy", required=True, help="sandbox/validator/ashby_spec_proxy.py")
    parser.add_argument("--sink-dir", help="plugins/ashby: every Ashby method named in its "
                                           "sources must be in SINK_METHODS")
    parser.add_argument("--reference-spec",
                        help="the project's reference copy of the document (kept outside the repository): when "
                             "present, the copy beside the proxy must be the same bytes")
    args = parser.parse_args()
    if args.sink_dir:
        # A quoted "category.method" in the sink's sources that Ashby's full document lists.
        index = pathlib.Path(args.proxy).parent / "paths-index.txt"
        documented = {line.strip()[1:] for line in index.read_text().splitlines()
                      if line.startswith("/")}
        named = set()
        for source in pathlib.Path(args.sink_dir).glob("*.cpp"):
            named |= set(re.findall(r'"([a-z][A-Za-z]*\.[a-z][A-Za-z]*)"', source.read_text()))
        called = named & documented
        check(called == set(SINK_METHODS),
              f"SINK_METHODS must be what the sink calls: missing {sorted(called - set(SINK_METHODS))}"
              f", no longer called {sorted(set(SINK_METHODS) - called)}")
    if args.reference_spec and os.path.exists(args.reference_spec):
        vendored = pathlib.Path(args.proxy).parent / "ashby-api-openapi.extract.json"
        check(vendored.read_bytes() == pathlib.Path(args.reference_spec).read_bytes(),
              f"{vendored} must equal {args.reference_spec}")
    python = sys.executable
    processes = []
    try:
        sandbox, ready = start([args.sandbox, "--seed", "5", "--persons", "6",
                                "--rate-scale", "50"])
        processes.append(sandbox)
        sandbox_url = ready["ashby"]
        with open(ready["credentials"], encoding="utf-8") as f:
            key = dict(line.strip().split("=", 1) for line in f if "=" in line)["ASHBY_API_KEY"]
        proxy, proxy_ready = start([python, args.proxy, "--upstream", sandbox_url, "--verbose",
                                     "--answer-fields"])
        processes.append(proxy)
        proxy_url = f"http://127.0.0.1:{proxy_ready['port']}"
        ashby = Ashby(proxy_url, key)

        # 1. Every method, both directions valid.
        ids = every_method(ashby, sandbox_url)
        seen = report(proxy_url)
        for problem in seen["samples"]:
            # Answer fields the document does not define are what a client must not rely on,
            # not a violation: listed for the reader.
            if problem["kind"] == "response-undocumented":
                print("note:", json.dumps(problem)[:400], flush=True)
            else:
                check(False, f"violation on valid calls: {json.dumps(problem)[:700]}")
        check(seen["failing"] == 0, f"no violation on valid calls: {seen['violations']}")
        checked = set(seen["requests"]) | set(seen["unvalidated"])
        check(set(SINK_METHODS) <= checked,
              f"every sink method was called: missing {sorted(set(SINK_METHODS) - checked)}")
        print(f"{len(seen['requests'])} methods validated, not in the extract: "
              f"{sorted(seen['unvalidated'])}", flush=True)
        # application.list and job.updateCompensation (job.info's compensationTiers) come from
        # the full document (ashby-api-openapi.additions.json): nothing the sink calls is unchecked.
        check(set(seen["unvalidated"]) <= OUTSIDE_EXTRACT,
              f"every sink method is validated: {seen['unvalidated']}")
        check(not any("job.updateCompensation" in ref for ref in seen["unchecked_refs"]),
              f"compensationTiers is checked: {seen['unchecked_refs']}")

        # 2. Invalid requests are refused, undocumented ones recorded.
        fetch(f"{proxy_url}/_validator/reset", "POST", b"")
        negative_cases(ashby, sandbox_url, ids)
        undocumented_cases(ashby, ids)
        seen = report(proxy_url)
        invalid = {k[len("request-invalid "):]: v for k, v in seen["violations"].items()
                   if k.startswith("request-invalid ")}
        check(invalid == {"job.create": 1, "candidate.create": 2, "job.setStatus": 1,
                          "job.info": 1, "location.list": 1, "customField.setValues": 2,
                          "candidate.createNote": 1, "applicationFeedback.submit": 3,
                          "candidate.addEmailMessage": 1, "job.list": 1},
              f"each refusal is the validator's, for its method: {seen['violations']}")
        undocumented = " | ".join(s["detail"] for s in seen["samples"]
                                  if s["kind"] == "request-undocumented")
        check(seen["violations"].get("request-undocumented source.list") == 1
              and seen["violations"].get("request-undocumented job.create") == 1
              and seen["violations"].get("request-undocumented candidate.create") == 1
              and "location: " in undocumented and "'planet'" in undocumented,
              f"undocumented properties are recorded: {seen['violations']}")
        check(not any(k.startswith("response-") for k in seen["violations"]),
              f"no answer violates the document: {seen['violations']}")

        # ... and refused when Ashby is taken to refuse them.
        strict, strict_ready = start([python, args.proxy, "--upstream", sandbox_url,
                                      "--undocumented", "refuse"])
        processes.append(strict)
        Ashby(f"http://127.0.0.1:{strict_ready['port']}", key).refused(
            "source.list", {"atsmProbe": 100}, "--undocumented refuse: atsmProbe on source.list")

        # 3. An answer that misses required fields is caught.
        stub = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Broken)
        threading.Thread(target=stub.serve_forever, daemon=True).start()
        broken, broken_ready = start([python, args.proxy, "--upstream",
                                      f"http://127.0.0.1:{stub.server_address[1]}"])
        processes.append(broken)
        broken_url = f"http://127.0.0.1:{broken_ready['port']}"
        Ashby(broken_url, key).call("department.list", {})
        seen = report(broken_url)
        details = " | ".join(s["detail"] for s in seen["samples"])
        check(seen["violations"].get("response-invalid department.list", 0) >= 1
              and "createdAt" in details and "updatedAt" in details,
              f"a department without createdAt/updatedAt is a response violation: {details}")
        # A Currency amount (format currency): 1000.25 is one, 1000.12345 (finer than any
        # currency's minor unit, ISO 4217: at most 4 digits) is not.
        set_value = {"objectId": str(uuid.uuid4()), "objectType": "Candidate",
                     "fieldId": str(uuid.uuid4()), "fieldValue": True}
        for amount, valid in ((1000.25, True), (1000.12345, False)):
            fetch(f"{broken_url}/_validator/reset", "POST", b"")
            Broken.currency_amount = amount
            Ashby(broken_url, key).call("customField.setValue", set_value)
            seen = report(broken_url)
            caught = seen["violations"].get("response-invalid customField.setValue", 0)
            check(caught == (0 if valid else 1),
                  f"a Currency amount {amount} is {'valid' if valid else 'caught'}: {seen}")
        check(seen["unchecked_formats"] == [],
              f"every format the document uses is asserted: {seen['unchecked_formats']}")
        stub.shutdown()

        # 4. 32 writers at once: every one answered, in order, by the right candidate.
        fetch(f"{proxy_url}/_validator/reset", "POST", b"")
        before = sandbox_counts(sandbox_url)["candidate"]

        def writer(number):
            name = f"Writer {number}"
            created = ashby.call("candidate.create", {"name": name})["results"]
            note = ashby.call("candidate.createNote", {"candidateId": created["id"],
                                                       "note": f"note {number}"})
            return created["name"] == name and note["results"]["content"] == f"note {number}"

        with concurrent.futures.ThreadPoolExecutor(32) as pool:
            answers = list(pool.map(writer, range(96)))
        check(all(answers), "every concurrent writer got its own answer")
        check(sandbox_counts(sandbox_url)["candidate"] == before + 96,
              "96 candidates created by 32 concurrent writers")
        seen = report(proxy_url)
        check(seen["requests"].get("candidate.create") == 96 and seen["failing"] == 0,
              f"every concurrent request validated, none failing: {seen}")
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
    print(f"{len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
