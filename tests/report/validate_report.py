#!/usr/bin/env python3
"""Validates a report.json against sdk/schema/report.schema.json with an independent validator
(Debian's python3-jsonschema), then checks what a schema cannot say: the summary's figures are
the lengths and sums of the sections they summarise. Also proves the schema can fail: a few
broken copies of the report must be rejected.
Exit 0 when the report is valid, 1 with every problem printed otherwise.
"""
import argparse
import collections
import copy
import json
import os
import re
import stat
import sys

import jsonschema
from jsonschema import Draft202012Validator


def consistency(report):
    """The summary against the sections it summarises."""
    problems = []
    summary = report["summary"]
    for figure, section in [("unexplained", "unexplained"), ("failed", "failures"),
                            ("rejected", "rejected"), ("mismatches", "mismatches"),
                            ("notices", "notices")]:
        # A cut list says how many there are (cut_lists); the summary counts them all.
        cut = report["cut_lists"].get(section)
        if summary[figure] != (cut["of"] if cut else len(report[section])):
            problems.append(f"summary.{figure} is {summary[figure]}, "
                            f"{section} has {len(report[section])} entries")
    unread = report.get("unread", [])
    if summary.get("unread", 0) != len(unread):
        problems.append(f"summary.unread is {summary.get('unread')}, unread has {len(unread)} entries")
    if sum(k.get("unread", 0) for k in report["read_back"].values()) != len(unread):
        problems.append("read_back.*.unread does not sum to the number of unread records")
    sums = [("read_back_checked", sum(k["checked"] for k in report["read_back"].values())),
            ("field_errors", sum(report["field_errors_by_kind"].values())),
            ("lossy_records", sum(report["lossy"].values()))]
    for figure, total in sums:
        if summary[figure] != total:
            problems.append(f"summary.{figure} is {summary[figure]}, the section sums to {total}")
    if sum(k["mismatched"] for k in report["read_back"].values()) != len(report["mismatches"]):
        problems.append("read_back.*.mismatched does not sum to the number of mismatches")
    clean = not (report["unexplained"] or report["failures"] or report["mismatches"]
                 or report["rejected"] or unread)
    if (summary["verdict"] == "clean") != clean:
        problems.append(f"verdict {summary['verdict']!r} with unexplained/failures/mismatches/"
                        f"rejected/unread {'empty' if clean else 'not empty'}")
    return problems


SOURCE_KEY = re.compile(r"\b[a-z][a-z0-9_]*:[a-z][a-z0-9_]*:[A-Za-z0-9]")


def reasons_consistency(report, records_path):
    """Reason classes against the counts they explain and the records file beside the report."""
    problems = []
    by_class = {(r["category"], r["kind"], r["reason"]): r for r in report["reasons"]}
    for kind, counts in report["counts"].items():
        for reason, count in counts.get("skipped", {}).items():
            entry = by_class.get(("skipped", kind, reason))
            if not entry or entry["records"] != count:
                problems.append(f"counts.{kind}.skipped[{reason!r}] is {count}, reasons say "
                                f"{entry and entry['records']}")
    for what, count in report["lossy"].items():
        kind, _, reason = what.partition(": ")
        entry = by_class.get(("lossy", kind, reason))
        if not entry or entry["records"] != count:
            problems.append(f"lossy[{what!r}] is {count}, reasons say {entry and entry['records']}")
    for (category, kind, reason), entry in by_class.items():
        if SOURCE_KEY.search(reason):
            problems.append(f"reason class {reason!r} names a record")
        if (entry["records"] > len(entry["listed"])) != ("all_in" in entry):
            problems.append(f"reason {reason!r}: cut list and all_in disagree")
    for member, cut in report["cut_lists"].items():
        if cut["listed"] != len(report[member]) or cut["of"] <= cut["listed"]:
            problems.append(f"cut_lists.{member} says {cut}, the list has {len(report[member])}")
    if not os.path.exists(records_path):
        return problems + [f"{records_path} is missing"]
    if stat.S_IMODE(os.stat(records_path).st_mode) != 0o600:
        problems.append(f"{records_path} is not 0600")
    lines = [json.loads(line) for line in open(records_path, encoding="utf-8")]
    if len(lines) != report["records_file"]["lines"]:
        problems.append(f"records_file.lines is {report['records_file']['lines']}, "
                        f"the file has {len(lines)}")
    keys = collections.defaultdict(list)
    for line in lines:
        if line["category"] not in ("field_error", "notice"):
            keys[(line["category"], line["kind"], line["reason"])].append(line["key"])
    for name, entry in by_class.items():
        if len(keys[name]) != entry["records"] or len(set(keys[name])) != len(keys[name]):
            problems.append(f"reason {name}: {entry['records']} records, the file lists "
                            f"{len(keys[name])} ({len(set(keys[name]))} distinct)")
        if not set(entry["listed"]) <= set(keys[name]):
            problems.append(f"reason {name}: listed records not in the file")
    field_errors = sum(1 for line in lines if line["category"] == "field_error")
    cut = report["cut_lists"].get("field_errors")
    if field_errors != (cut["of"] if cut else len(report["field_errors"])):
        problems.append(f"the file holds {field_errors} field errors, the report says "
                        f"{cut['of'] if cut else len(report['field_errors'])}")
    notices = [line for line in lines if line["category"] == "notice"]
    if len(notices) != report["summary"]["notices"]:
        problems.append(f"the file holds {len(notices)} notices, the summary says "
                        f"{report['summary']['notices']}")
    listed = [{"plugin": n["plugin"], "message": n["message"]} for n in notices[:len(report["notices"])]]
    if listed != report["notices"]:
        problems.append("the notices listed are not the first notices of the file")
    return problems


def broken_copies(report):
    """Copies of the report that the schema must reject."""
    def without(member):
        broken = copy.deepcopy(report)
        del broken[member]
        return broken

    def changed(path, value):
        broken = copy.deepcopy(report)
        node = broken
        for step in path[:-1]:
            node = node[step]
        node[path[-1]] = value
        return broken

    yield "no summary", without("summary")
    yield "no mismatches", without("mismatches")
    yield "verdict 'ok'", changed(["summary", "verdict"], "ok")
    yield "format version 1", changed(["format"], "atsmigrate-report/1")
    yield "negative read_back_checked", changed(["summary", "read_back_checked"], -1)
    yield "a count of an unknown kind", changed(["counts", "widget"], {
        "staged": 1, "rejected": 0, "in_source": 1, "written": None})
    yield "a mismatch without field", changed(["mismatches"], [
        {"kind": "candidacy", "key": "lever:opportunity:1", "target_id": "x", "expected": 1,
         "found": 2}])
    yield "an undocumented member", changed(["summary", "surprise"], 1)
    yield "no reasons", without("reasons")
    yield "a reason of an unknown category", changed(["reasons"], [
        {"category": "other", "kind": "file", "reason": "x", "records": 1, "listed": ["k"]}])


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--schema", required=True)
    parser.add_argument("report")
    args = parser.parse_args()
    with open(args.schema, encoding="utf-8") as f:
        schema = json.load(f)
    with open(args.report, encoding="utf-8") as f:
        report = json.load(f)
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())

    problems = []
    for error in validator.iter_errors(report):
        path = "/".join(str(p) for p in error.absolute_path)
        problems.append(f"report.json at '{path}': {error.message}")
    if not problems:
        problems += consistency(report)
        problems += reasons_consistency(
            report, os.path.join(os.path.dirname(os.path.abspath(args.report)),
                                 report["records_file"]["path"]))
    for why, broken in broken_copies(report):
        if validator.is_valid(broken):
            problems.append(f"the schema accepts a broken report: {why}")
    for problem in problems:
        print("FAIL:", problem)
    print(f"{args.report}: {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
