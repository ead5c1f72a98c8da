#!/usr/bin/env python3
"""The emulated Greenhouse against Greenhouse's published Harvest v3 schemas.

Starts `ats-sandbox` under each combination of the two seeded switches (unknown filters ignored
or refused; attachment URLs direct or redirecting), fetches every list it serves over HTTP (all
pages) and validates every item against sandbox/validator/greenhouse-v3/schemas/<list>.json with an
independent validator (python3-jsonschema): no key the schema does not document, every key it
documents present, every value of the documented type and enum. Then checks the documented
switches (show_service_accounts, current_only, include_defaults), that an undocumented filter is
ignored or refused as switched, and that a file downloads behind either URL shape without the
API credential (and is refused with it).
"""
import argparse
import base64
import json
import os
import pathlib
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request

import jsonschema
from jsonschema import Draft7Validator

# The lists the emulator must serve: those the connector reads and those issue 17 names.
SERVED = [
    "candidates", "applications", "application_stages", "jobs", "job_interview_stages",
    "scorecards", "scorecard_candidate_attributes", "scorecard_question_answers",
    "scorecard_questions", "job_candidate_attributes", "referrers", "rejection_details",
    "interviews", "interviewers", "offers", "notes", "attachments", "users", "departments",
    "offices", "candidate_tags", "sources", "rejection_reasons", "applied_candidate_tags",
    "custom_fields", "custom_field_options", "job_interviews", "interview_kits",
    "scorecard_question_answer_options", "scorecard_question_options", "prospect_details",
    "prospect_pools", "prospect_pool_stages", "candidate_educations", "candidate_employments",
    "job_hiring_managers", "job_owners", "openings", "eeoc",
]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


OPENER = urllib.request.build_opener(NoRedirect)


def http(url, headers=None, data=None):
    request = urllib.request.Request(url, headers=headers or {}, data=data)
    try:
        with OPENER.open(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


class Sandbox:
    def __init__(self, binary, refuse, redirect, persons):
        self.process = subprocess.Popen(
            [binary, "--seed", "7", "--persons", str(persons),
             "--greenhouse-unknown-filters", "refuse" if refuse else "ignore",
             "--greenhouse-attachment-urls", "redirect" if redirect else "direct"],
            stdout=subprocess.PIPE, text=True)
        ready = json.loads(self.process.stdout.readline())
        self.base = ready["greenhouse"]
        secrets = dict(line.split("=", 1) for line in
                       pathlib.Path(ready["credentials"]).read_text().splitlines() if "=" in line)
        pair = f"{secrets['GREENHOUSE_CLIENT_ID']}:{secrets['GREENHOUSE_CLIENT_SECRET']}"
        status, _, body = http(self.base + "/token",
                               {"Authorization": "Basic " + base64.b64encode(pair.encode()).decode(),
                                "Content-Type": "application/x-www-form-urlencoded"},
                               b"grant_type=client_credentials")
        assert status == 200, body
        self.auth = {"Authorization": "Bearer " + json.loads(body)["access_token"]}

    def get(self, path):
        return http(self.base + path, self.auth)

    def list_all(self, resource, query=""):
        url = f"{self.base}/v3/{resource}?per_page=500{query}"
        items = []
        while url:
            status, headers, body = http(url, self.auth)
            if status != 200:
                return status, body
            items += json.loads(body)
            link = headers.get("Link", "")
            url = link[1:link.index(">")] if 'rel="next"' in link else None
        return 200, items

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)


def check_combination(binary, schemas, refuse, redirect, persons, failures):
    label = f"[unknown filters {'refused' if refuse else 'ignored'}, " \
            f"{'redirecting' if redirect else 'direct'} URLs]"
    sandbox = Sandbox(binary, refuse, redirect, persons)
    checker = jsonschema.FormatChecker()
    lists = {}
    try:
        for resource in SERVED:
            switches = {"users": "&show_service_accounts=true",
                        "rejection_reasons": "&include_defaults=true"}.get(resource, "")
            status, items = sandbox.list_all(resource, switches)
            if status != 200:
                failures.append(f"{label} /v3/{resource}: HTTP {status}")
                continue
            if not items:
                failures.append(f"{label} /v3/{resource}: empty, nothing to validate")
            lists[resource] = items
            validator = Draft7Validator(schemas[resource], format_checker=checker)
            documented = set(schemas[resource]["properties"])
            for item in items:
                for error in validator.iter_errors(item):
                    failures.append(f"{label} /v3/{resource} id {item.get('id')}: "
                                    f"{'/'.join(map(str, error.absolute_path))}: {error.message}")
                    break
                missing = documented - set(item)
                if missing:
                    failures.append(f"{label} /v3/{resource} id {item.get('id')}: "
                                    f"documented keys missing: {sorted(missing)}")
        # What real accounts hold, so a client meets it.
        expect = {
            "select answers (answer null, options listed)":
                any(a["answer"] is None for a in lists["scorecard_question_answers"])
                and lists["scorecard_question_answer_options"],
            "several offer versions, some Deprecated":
                any(o["status"] == "Deprecated" for o in lists["offers"])
                and any(o["version"] > 1 for o in lists["offers"]),
            "notes of several types": len({n["type"] for n in lists["notes"]}) >= 5,
            "stage history with entered_at null":
                any(s["entered_at"] is None for s in lists["application_stages"]),
            "attachments with candidate_id null":
                any(a["candidate_id"] is None for a in lists["attachments"]),
            "a service account": any(u["primary_email"] == "" for u in lists["users"]),
        }
        for what, held in expect.items():
            if not held:
                failures.append(f"{label} the dataset lacks {what}")
        # Documented switches change what is listed.
        _, plain_users = sandbox.list_all("users")
        if len(plain_users) != len(lists["users"]) - 1:
            failures.append(f"{label} users without show_service_accounts=true: "
                            f"{len(plain_users)} of {len(lists['users'])}")
        _, current = sandbox.list_all("offers", "&current_only=true")
        if any(o["status"] == "Deprecated" for o in current) or \
                len(current) != sum(o["status"] != "Deprecated" for o in lists["offers"]):
            failures.append(f"{label} offers?current_only=true lists superseded versions")
        _, reasons = sandbox.list_all("rejection_reasons")
        if len(reasons) >= len(lists["rejection_reasons"]):
            failures.append(f"{label} rejection_reasons hides no default without include_defaults")
        _, degrees = sandbox.list_all("custom_field_options", "&custom_field_key=degree")
        if not degrees or len({o["custom_field_id"] for o in degrees}) != 1 or \
                degrees[0]["custom_field_id"] in {o["custom_field_id"] for o in lists["custom_field_options"]}:
            failures.append(f"{label} custom_field_options?custom_field_key=degree lists nothing")
        # A documented parent filter filters; an undocumented one is ignored or refused.
        some_app = lists["scorecards"][0]["application_id"]
        status, scoped = sandbox.list_all("scorecards", f"&application_ids={some_app}")
        if status != 200 or {s["application_id"] for s in scoped} != {some_app}:
            failures.append(f"{label} scorecards?application_ids does not filter")
        status, body = sandbox.list_all("interviewers", f"&application_ids={some_app}")
        if refuse and status != 422:
            failures.append(f"{label} an undocumented filter answered {status}, not 422")
        if not refuse and (status != 200 or len(body) != len(lists["interviewers"])):
            failures.append(f"{label} an undocumented filter was not ignored")
        # A file downloads behind either URL shape, and never with the API credential.
        url = lists["attachments"][0]["url"]
        status, headers, body = http(url)
        if redirect:
            if status != 302:
                failures.append(f"{label} attachment url answered {status}, not 302")
            url = urllib.parse.urljoin(url, headers.get("Location", ""))
            status, headers, body = http(url)
        if status != 200 or not body:
            failures.append(f"{label} attachment download: HTTP {status}")
        status, _, _ = http(url, sandbox.auth)
        if status == 200:
            failures.append(f"{label} the file host accepted the API credential")
    finally:
        sandbox.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sandbox", required=True, help="the ats-sandbox executable")
    parser.add_argument("--schema-dir", required=True)
    parser.add_argument("--persons", type=int, default=80)
    args = parser.parse_args()
    schemas = {}
    for name in SERVED:
        with open(os.path.join(args.schema_dir, name + ".json"), encoding="utf-8") as f:
            schemas[name] = json.load(f)
    failures = []
    for refuse in (False, True):
        for redirect in (False, True):
            check_combination(args.sandbox, schemas, refuse, redirect, args.persons, failures)
    for failure in failures[:60]:
        print("FAIL", failure)
    if failures:
        print(f"{len(failures)} failure(s)")
        return 1
    print(f"every item of {len(SERVED)} lists validates, under 4 switch combinations")
    return 0


if __name__ == "__main__":
    sys.exit(main())
