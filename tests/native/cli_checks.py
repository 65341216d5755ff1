"""What the CLI test scripts share: soft checks that collect failures (a script reports them
all, then exits non-zero), commands run with their output captured, fresh work folders."""
import json, os, shutil, subprocess

FAILS = []


def check(cond, msg):
    if not cond:
        FAILS.append(msg)
        print("FAIL:", msg, flush=True)
    return cond


def run(cmd, **kw):
    print("$", " ".join(cmd), flush=True)
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def fresh(path):
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path


def load_json(path):
    with open(path) as f:
        return json.load(f)
