#!/usr/bin/env python3
"""Checks sdk/schema against the codec, with an independent validator (python3-jsonschema).

1. Every schema is a valid draft 2020-12 schema and documents every property.
2. The sample records of every kind, written by the C++ codec (--writer), validate against
   record.schema.json and against their kind's own schema.
3. Every record in --negatives is rejected (so this test can fail).
Temporary files go under a fresh directory (in $ATSM_TEST_TMP when set) and are removed.
"""
import argparse
import importlib.metadata
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

import jsonschema
from jsonschema import Draft202012Validator

KINDS = ["user", "department", "office", "custom_field", "job", "stage", "archive_reason",
         "source", "tag", "person", "candidacy", "note", "feedback", "interview", "offer", "file"]


def load_schemas(schema_dir):
    schemas = {}
    for path in sorted(pathlib.Path(schema_dir).glob("*.schema.json")):
        with open(path, encoding="utf-8") as f:
            schemas[path.name] = json.load(f)
    return schemas


def make_validator(schema, schemas):
    """A validator that resolves cross-file $refs from the loaded schemas, on old and new
    jsonschema alike (Debian 12 ships 4.10, which predates the `referencing` library)."""
    checker = jsonschema.FormatChecker()
    try:
        from referencing import Registry, Resource
    except ImportError:
        store = {s["$id"]: s for s in schemas.values()}
        resolver = jsonschema.RefResolver(schema["$id"], schema, store=store)
        return Draft202012Validator(schema, resolver=resolver, format_checker=checker)
    registry = Registry().with_resources(
        (s["$id"], Resource.from_contents(s)) for s in schemas.values())
    return Draft202012Validator(schema, registry=registry, format_checker=checker)


def undocumented_properties(node, where):
    """Paths of properties that carry no description."""
    missing = []
    if isinstance(node, dict):
        for name, sub in node.get("properties", {}).items():
            if not isinstance(sub, dict) or not sub.get("description"):
                missing.append(f"{where}/properties/{name}")
        for key, sub in node.items():
            missing += undocumented_properties(sub, f"{where}/{key}")
    elif isinstance(node, list):
        for i, sub in enumerate(node):
            missing += undocumented_properties(sub, f"{where}/{i}")
    return missing


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--writer", required=True, help="program writing sample records (JSONL)")
    parser.add_argument("--schema-dir", required=True)
    parser.add_argument("--negatives", required=True, help="JSONL of {why, record} to reject")
    args = parser.parse_args()

    failures = []
    schemas = load_schemas(args.schema_dir)
    # report.schema.json describes report.json, not a record: tests/report validates a real one;
    # migration-options.schema.json the mapping file's options: tests/pipeline holds it equal to
    # the host's list (MigrationOptions.*).
    expected_files = {f"{k}.schema.json" for k in KINDS} | {"record.schema.json",
                                                            "common.schema.json",
                                                            "report.schema.json",
                                                            "migration-options.schema.json"}
    if set(schemas) != expected_files:
        failures.append(f"schema files: missing {sorted(expected_files - set(schemas))}, "
                        f"unexpected {sorted(set(schemas) - expected_files)}")
    for name, schema in schemas.items():
        try:
            Draft202012Validator.check_schema(schema)
        except jsonschema.SchemaError as error:
            failures.append(f"{name}: not a valid draft 2020-12 schema: {error.message}")
        for path in undocumented_properties(schema, name):
            failures.append(f"{path}: property has no description")

    record_validator = make_validator(schemas["record.schema.json"], schemas)
    kind_validators = {k: make_validator(schemas[f"{k}.schema.json"], schemas) for k in KINDS
                       if f"{k}.schema.json" in schemas}

    parent = os.environ.get("ATSM_TEST_TMP")
    if parent:
        os.makedirs(parent, exist_ok=True)
    workdir = tempfile.mkdtemp(prefix="atsm-model-schema-", dir=parent)
    try:
        samples_path = os.path.join(workdir, "samples.jsonl")
        subprocess.run([args.writer, samples_path], check=True, stdout=subprocess.DEVNULL)
        with open(samples_path, encoding="utf-8") as f:
            samples = [json.loads(line) for line in f if line.strip()]
    finally:
        shutil.rmtree(workdir)

    seen_kinds = set()
    for number, record in enumerate(samples, 1):
        label = f"sample {number} ({record.get('kind')} {record.get('source_key')})"
        seen_kinds.add(record.get("kind"))
        for error in record_validator.iter_errors(record):
            failures.append(f"{label}: record.schema.json rejects it ({error.validator})")
        validator = kind_validators.get(record.get("kind"))
        if validator:
            for error in validator.iter_errors(record):
                path = "/".join(str(p) for p in error.absolute_path)
                failures.append(f"{label}: {record['kind']}.schema.json at '{path}': "
                                f"{error.message}")
    if seen_kinds != set(KINDS):
        failures.append(f"samples lack kinds {sorted(set(KINDS) - seen_kinds)}")

    negatives = 0
    with open(args.negatives, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            case = json.loads(line)
            negatives += 1
            if record_validator.is_valid(case["record"]):
                failures.append(f"negative case accepted by the schema: {case['why']}: "
                                f"{json.dumps(case['record'])}")
    if negatives == 0:
        failures.append(f"{args.negatives}: no negative cases")

    for failure in failures:
        print("FAIL:", failure)
    print(f"jsonschema {importlib.metadata.version('jsonschema')}: {len(schemas)} schemas, "
          f"{len(samples)} samples, {negatives} negatives, {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
