#!/usr/bin/env python3
"""Prints the tests of the last build that failed, erred or passed only when run again.

Reads every module's surefire and failsafe XML reports, so that a CI log whose tail is all that
is kept still names them, with the first lines of each message.
Usage: python3 .ci/test-report.py [project dir]
"""
import glob
import os
import sys
import xml.etree.ElementTree as ET

KINDS = {
    "failure": "FAILED",
    "error": "FAILED",
    "flakyFailure": "FLAKY",
    "flakyError": "FLAKY",
    "rerunFailure": "FAILED again",
    "rerunError": "FAILED again",
}


def main(root):
    lines = []
    pattern = os.path.join(root, "*", "target", "*-reports", "TEST-*.xml")
    for path in sorted(glob.glob(pattern)):
        try:
            suite = ET.parse(path).getroot()
        except ET.ParseError as e:
            lines.append(f"UNREADABLE {path}: {e}")
            continue
        module = os.path.relpath(path, root).split(os.sep)[0]
        for case in suite.iter("testcase"):
            for child in case:
                kind = KINDS.get(child.tag)
                if kind is None:
                    continue
                message = (child.get("message") or child.get("type") or "").strip()
                # the first few non-empty lines: an await's timeout names its cause on the second
                first = " / ".join([l.strip() for l in message.splitlines() if l.strip()][:3])
                lines.append(
                    f"{kind} {module} {case.get('classname')}#{case.get('name')}: {first[:400]}"
                )
    if lines:
        print("tests that failed or passed only when run again:")
        for line in lines:
            print("  " + line)
    else:
        print("tests: no failure and no flake in the reports")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ".")
