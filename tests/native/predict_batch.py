#!/usr/bin/python3
"""`catdog predict` (no LibTorch, infer/) gives each photo the same bits alone and inside a batch,
for every backbone: 100 photos of dogs-vs-cats-3k in one batch of 100 (its Linear layers see six
full blocks of rows and a padded one) and one at a time, and 3 of them each in a process of its
own. The
probabilities printed by --json (17 significant digits) must be equal, not close.

Usage: predict_batch.py --catdog BIN --runs RUN[,RUN...] --shared ../shared
"""
import argparse, json, os, subprocess, sys

from cli_checks import FAILS, check


def predict(catdog, run, photos, batch):
    p = subprocess.run([catdog, "predict", "--model", run, "--json", "--batch-size", str(batch)] + photos,
                       capture_output=True, text=True)
    check(p.returncode == 0, f"{run}: predict --batch-size {batch}: exit {p.returncode} {p.stderr[-300:]!r}")
    rows = [json.loads(l) for l in p.stdout.splitlines() if l.startswith("{")]
    return {r["file"]: (r["label"], r["probs"]) for r in rows}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--catdog", required=True)
    ap.add_argument("--runs", required=True)
    ap.add_argument("--shared", required=True)
    a = ap.parse_args()
    data = os.path.join(a.shared, "datasets", "dogs-vs-cats-3k")
    if not os.path.isdir(data):
        sys.exit(f"missing {data}: the tests read ../shared (see README)")
    names = sorted(os.listdir(data))
    photos = [os.path.join(data, n) for n in names[:50] + names[-50:]]  # cats and dogs
    for run in a.runs.split(","):
        backbone = json.load(open(os.path.join(run, "config.json")))["backbone"]
        ref = predict(a.catdog, run, photos, 100)
        if not check(len(ref) == len(photos), f"{backbone}: {len(ref)} results for {len(photos)} photos"):
            continue
        differ = {}
        for batch in (1,):
            got = predict(a.catdog, run, photos, batch)
            differ[batch] = sum(1 for f in photos if got.get(f) != ref[f])
            check(differ[batch] == 0, f"{backbone}: {differ[batch]} of {len(photos)} photos differ between "
                                      f"batches of 100 and of {batch}")
        alone = 0
        for f in photos[:2] + photos[-1:]:
            got = predict(a.catdog, run, [f], 1)
            alone += got.get(f) == ref[f]
        check(alone == 3, f"{backbone}: {3 - alone} of 3 photos predicted alone differ from the batch of 100")
        spread = max(abs(p[1][k] - 0.5) for p in ref.values() for k in p[1])
        print(f"RESULT {backbone}: {len(photos)} photos; batch of 100 vs one at a time: {differ[1]} differ; "
              f"alone in a process: {alone}/3 identical (probabilities reach {0.5 + spread:.3f})", flush=True)
    print(f"predict batch invariance: {len(FAILS)} failures", flush=True)
    sys.exit(1 if FAILS else 0)


if __name__ == "__main__":
    main()
