#!/usr/bin/env python3
"""Evaluates Gatekeeper ConstraintTemplate Rego with real OPA (the Go engine),
for the OPA cross-check test (tests/testsuite/opa_crosscheck.rs).

OPA comes from the PyPI package opa-golib-python-bindings (OPA's Go engine as a
C shared library plus a ctypes wrapper). It is looked up in the folder named by
POLICYBOOK_OPA_BINDINGS, else /opt/policybook/opa-bindings (where .ci/run puts
it), else on the ordinary import path.

stdin: a JSON array of jobs
    {"rego": str, "libs": [str], "cases": [{"review": {...}, "parameters": {...},
     "inventory": {...}}]}
stdout: a JSON array (one per job) of arrays (one per case), each either
    {"violations": [{"msg": ..., "details": ...}, ...]}  (sorted, details {} when absent)
    or {"error": "..."}; a template that does not compile gives an error per case.
Exit 3 (with a message on stderr) when the OPA library cannot be loaded.

The shape is Gatekeeper's: the template's module and its libs are loaded as they
are, `input` is {"review": ..., "parameters": ...}, `data.inventory` is the
inventory, and the result is `data.<package>.violation`.
"""

import json
import os
import re
import sys

DEFAULT_DIR = "/opt/policybook/opa-bindings"


def load_engine_class():
    for d in (os.environ.get("POLICYBOOK_OPA_BINDINGS"), DEFAULT_DIR):
        if d and os.path.isdir(d) and d not in sys.path:
            sys.path.insert(0, d)
    try:
        from opa_bindings import OpaEngine, OpaUndefinedError  # noqa: PLC0415

        return OpaEngine, OpaUndefinedError
    except Exception as e:  # ImportError, or OSError from loading the .so
        sys.stderr.write(
            "the OPA library (opa-golib-python-bindings 0.4.4) cannot be loaded: "
            f"{e}; install it as .ci/run does, or point POLICYBOOK_OPA_BINDINGS at its folder\n"
        )
        sys.exit(3)


def package_of(rego):
    m = re.search(r"^\s*package\s+([A-Za-z0-9_.]+)", rego, re.M)
    return m.group(1) if m else None


def normalise(results):
    out = []
    for r in results:
        if not isinstance(r, dict) or "msg" not in r:
            raise ValueError(f"a `violation` result is not an object with a msg: {r!r}")
        msg = r["msg"]
        if not isinstance(msg, str):
            msg = json.dumps(msg, separators=(",", ":"))
        out.append({"msg": msg, "details": r.get("details", {})})
    out.sort(key=lambda v: json.dumps(v, sort_keys=True))
    return out


def run_case(engine_class, undefined, job, case):
    engine = engine_class()
    try:
        engine.add_policy("template.rego", job["rego"])
        for i, lib in enumerate(job.get("libs") or []):
            engine.add_policy(f"lib_{i}.rego", lib)
        engine.add_data({"inventory": case.get("inventory") or {}})
        package = package_of(job["rego"])
        if package is None:
            return {"error": "the template has no package"}
        try:
            value = engine.eval_document(
                f"{package}.violation",
                {"review": case["review"], "parameters": case.get("parameters") or {}},
            )
        except undefined:
            value = []
        return {"violations": normalise(value)}
    except Exception as e:
        return {"error": str(e)}
    finally:
        engine.close()


def main():
    engine_class, undefined = load_engine_class()
    jobs = json.load(sys.stdin)
    out = [[run_case(engine_class, undefined, job, c) for c in job["cases"]] for job in jobs]
    json.dump(out, sys.stdout, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
