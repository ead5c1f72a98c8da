#!/usr/bin/env python3
"""Validates a report.json against sdk/schema/report.schema.json with an independent validator
(Debian's python3-jsonschema), then checks what a schema cannot say: the summary's figures are
the lengths and sums of the sections they summarise. Also proves the schema can fail: a few
broken copies of the report must be rejected.
Exit 0 when the report is valid, 1 with every problem printed otherwise.
"""
import argparse
import copy
import json
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
        if summary[figure] != len(report[section]):
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
    for why, broken in broken_copies(report):
        if validator.is_valid(broken):
            problems.append(f"the schema accepts a broken report: {why}")
    for problem in problems:
        print("FAIL:", problem)
    print(f"{args.report}: {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
