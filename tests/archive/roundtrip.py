#!/usr/bin/python3
"""Reads an archive dir back with Python's csv module, json and openpyxl, independently of the
archive sink's code, and checks that every format holds the same values.

usage: roundtrip.py DIR [--forbid FILE] [--synced-at TIME]
  --forbid FILE     one clear value per line that no cell may contain
  --synced-at TIME  also list the rows an append run wrote at TIME (their _synced_at)
Prints one JSON object: {"tables": {name: rows}, "synced": {name: [row, ...]}, "errors": [...]}.
"""
import csv
import json
import os
import sys

import openpyxl

FORMULA = ("=", "+", "-", "@", "\t", "\r")


def main():
    root = sys.argv[1]
    forbidden = []
    if "--forbid" in sys.argv:
        with open(sys.argv[sys.argv.index("--forbid") + 1], encoding="utf-8") as f:
            forbidden = [line.rstrip("\n") for line in f if line.strip()]
    manifest = json.load(open(os.path.join(root, "manifest.json"), encoding="utf-8"))
    synced_at = sys.argv[sys.argv.index("--synced-at") + 1] if "--synced-at" in sys.argv else None
    synced = {}
    errors = []
    tables = {}
    workbook = None
    if "xlsx" in manifest["formats"]:
        workbook = openpyxl.load_workbook(os.path.join(root, "archive.xlsx"), read_only=True)
    for table, info in manifest["tables"].items():
        header = info["columns"]
        csv_rows = None
        if "csv" in manifest["formats"]:
            with open(os.path.join(root, table + ".csv"), newline="", encoding="utf-8") as f:
                reader = csv.reader(f)
                got = next(reader)
                if got != header:
                    errors.append(f"{table}.csv header {got} != manifest {header}")
                csv_rows = [row for row in reader]
        jsonl_rows = None
        if "jsonl" in manifest["formats"]:
            with open(os.path.join(root, table + ".jsonl"), encoding="utf-8") as f:
                jsonl_rows = []
                for line in f:
                    obj = json.loads(line)
                    if list(obj.keys()) != header:
                        errors.append(f"{table}.jsonl keys {list(obj.keys())} != {header}")
                    value = ["" if v is None else v for v in obj.values()]
                    # JSON Lines keep values as they are; CSV and XLSX neutralise formulas.
                    jsonl_rows.append(["'" + v if v.startswith(FORMULA) else v for v in value])
        xlsx_rows = None
        if workbook is not None:
            xlsx_rows = []
            for sheet_name in manifest["xlsx_sheets"][table]:
                rows = workbook[sheet_name].iter_rows(values_only=True)
                got = [c for c in next(rows)]
                if got != header:
                    errors.append(f"sheet {sheet_name} header {got} != {header}")
                for row in rows:
                    cells = ["" if c is None else str(c) for c in row]
                    cells += [""] * (len(header) - len(cells))
                    xlsx_rows.append(cells)
        variants = [(n, r) for n, r in (("csv", csv_rows), ("jsonl", jsonl_rows), ("xlsx", xlsx_rows)) if r is not None]
        base_name, base = variants[0]
        if len(base) != info["rows"]:
            errors.append(f"{table}.{base_name}: {len(base)} rows, manifest says {info['rows']}")
        for name, rows in variants[1:]:
            if len(rows) != len(base):
                errors.append(f"{table}: {name} has {len(rows)} rows, {base_name} {len(base)}")
                continue
            for i, (a, b) in enumerate(zip(base, rows)):
                if a != b:
                    # XLSX truncates past 32,767 characters (counted in the manifest).
                    if name == "xlsx" and any("[truncated by atsmigrate]" in c for c in b):
                        continue
                    errors.append(f"{table} row {i + 1}: {base_name} {a!r} != {name} {b!r}")
                    break
        for rows in (r for _, r in variants):
            for row in rows:
                for cell in row:
                    for clear in forbidden:
                        if clear in cell:
                            errors.append(f"{table}: clear value {clear!r} found")
                            forbidden.remove(clear)
        tables[table] = len(base)
        if synced_at is not None and "_synced_at" in header:
            at = header.index("_synced_at")
            rows = [dict(zip(header, row)) for row in base if row[at] == synced_at]
            if rows:
                synced[table] = rows
    print(json.dumps({"tables": tables, "synced": synced, "errors": errors[:50]}))


if __name__ == "__main__":
    main()
