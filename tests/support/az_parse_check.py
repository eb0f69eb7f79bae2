#!/usr/bin/env python3
"""Run az command lines through the real azure-cli, in this one process, and say where each stops.

stdin:  a JSON array of argv arrays, without the leading "az":
        [["policy", "definition", "create", "--name", "x", ...], ...]
stdout: a JSON array, one entry per input, in input order:
        {"argv": [...], "outcome": "login" | "parse" | "other", "message": "..."}

  parse  azure-cli refused the arguments (unrecognized or missing arguments, an invalid
         choice, a value its validators reject, bad JSON or shorthand in an argument)
  login  the arguments were accepted and the command stopped at "Please run 'az login'"
         (also when a nested lookup stopped there and azure-cli printed a traceback after it)
  other  anything else (success, an unexpected exception, another error); see message

The caller sets AZURE_CONFIG_DIR to a fresh empty folder so no real account is used and
nothing of the user's is read or written. Exit status: 0 when every line was classified
(whatever the outcomes), 2 when azure-cli cannot be imported or stdin is not the expected JSON.
"""
import json
import os
import re
import sys
import tempfile

PARSE_MARKERS = (
    "unrecognized arguments",
    "the following arguments are required",
    "invalid choice",
    "expected one argument",
    "is not in the",
    "usage: az",
    "Failed to parse",
    "argument --",
    "is misspelled or not recognized",
    "not a valid value",
    "Invalid JSON",
    "Invalid value",
    "InvalidArgumentValue",
    "RequiredArgumentMissing",
    "MutuallyExclusiveArgument",
    "ArgumentUsageError",
    "validation error",
)
LOGIN_MARKERS = ("Please run 'az login'", "Please run \"az login\"", "az login")


def classify(rc, text):
    if any(m in text for m in PARSE_MARKERS):
        return "parse"
    # A login failure counts even when azure-cli then trips over it: at management-group
    # scope `policy assignment create` looks the set up with a nested `show`, which stops at
    # login and leaves an AttributeError traceback behind. The arguments were accepted.
    if rc != 0 and any(m in text for m in LOGIN_MARKERS):
        return "login"
    return "other"


def run_one(cli_factory, argv):
    # azure-cli's logging and argparse write to the process's stderr, sometimes through
    # handlers made before we could swap sys.stderr: capture at the file-descriptor level.
    with tempfile.TemporaryFile(mode="w+b") as cap:
        sys.stdout.flush()
        sys.stderr.flush()
        saved_out, saved_err = os.dup(1), os.dup(2)
        os.dup2(cap.fileno(), 1)
        os.dup2(cap.fileno(), 2)
        try:
            try:
                rc = cli_factory().invoke(list(argv))
            except SystemExit as e:  # argparse exits
                rc = e.code if isinstance(e.code, int) else 1
            except BaseException as e:  # noqa: BLE001 - report, never crash the batch
                rc = 1
                sys.stderr.write("Traceback (harness): %r\n" % (e,))
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved_out, 1)
            os.dup2(saved_err, 2)
            os.close(saved_out)
            os.close(saved_err)
        cap.seek(0)
        text = cap.read().decode("utf-8", "replace")
    text = re.sub(r"\x1b\[[0-9;]*m", "", text)
    return rc, text


def main():
    if not os.environ.get("AZURE_CONFIG_DIR"):
        print("az_parse_check: set AZURE_CONFIG_DIR to a fresh empty folder", file=sys.stderr)
        return 2
    try:
        from azure.cli.core import get_default_cli
    except ImportError as e:
        print("az_parse_check: azure-cli is not installed (%s)" % e, file=sys.stderr)
        return 2
    try:
        argvs = json.load(sys.stdin)
        assert isinstance(argvs, list) and all(
            isinstance(a, list) and all(isinstance(s, str) for s in a) for a in argvs
        )
    except Exception:  # noqa: BLE001
        print("az_parse_check: stdin must be a JSON array of string arrays", file=sys.stderr)
        return 2
    os.environ.setdefault("AZURE_CORE_COLLECT_TELEMETRY", "no")
    os.environ.setdefault("AZURE_CORE_NO_COLOR", "yes")
    os.environ.setdefault("AZURE_CORE_ONLY_SHOW_ERRORS", "yes")
    results = []
    for argv in argvs:
        if argv and argv[0] == "az":
            argv = argv[1:]
        rc, text = run_one(get_default_cli, argv)
        results.append({"argv": argv, "outcome": classify(rc, text), "message": text.strip()[:2000]})
    json.dump(results, sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
