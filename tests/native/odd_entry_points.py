#!/usr/bin/python3
"""Every file of ../shared/datasets/odd through `catdog train`,
`predict`, `eval` and `featuremaps` gives the result odd.MANIFEST.tsv gives it.

  train        a flat folder of 300 + 300 dogs-vs-cats-3k photos (3 epochs) plus every odd file under a
               class name (the `error` rows too): exit 0, and one "warning: skipped <file>:"
               line per corrupt file
  predict      all 54 files at once (--json): `error` rows -> one-line error naming the file,
               `cat`/`dog` rows -> that label (`dog (mixed)` -> dog), `none` rows and the
               1x1 / 8x5 pixel files -> any label;
               exit 1 because some files failed
  eval         the odd files in a cat/dog folder: exit 0, the corrupt ones listed as failed
  featuremaps  each file alone: PNG written, or (for `error` rows) exit != 0 with one line
               naming the file on stderr
No crash anywhere (a signal or a sanitizer report fails the test).

Usage: odd_entry_points.py --catdog BIN --shared ../shared --work DIR
"""
import argparse, csv, json, os, shutil, subprocess, sys

from cli_checks import FAILS as failures, check

# 1x1 and 8x5 pixels keep no trace of the cat: they must be classified (no error, no crash),
# but no classifier can be held to a label there.
NO_CONTENT = {"cat.tiny_1x1.png", "cat.tiny_8x5.jpg"}
# 300 + 300 photos, 3 epochs: enough for the frozen MobileNet V2 head to label the thin strips
# right (100 + 100, 2 epochs called cat.extreme_tall_40x300 a dog).
N_PER_CLASS, EPOCHS = int(os.environ.get("ODD_N", 300)), int(os.environ.get("ODD_EPOCHS", 3))


def run(cmd, **kw):
    p = subprocess.run(cmd, capture_output=True, text=True, errors="replace", **kw)
    crashed = p.returncode < 0 or "AddressSanitizer" in p.stderr or "runtime error:" in p.stderr
    check(not crashed, f"{' '.join(cmd[:2])} crashed (rc {p.returncode}): {p.stderr[-2000:]}")
    return p


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--catdog", required=True)
    ap.add_argument("--shared", required=True)
    ap.add_argument("--work", required=True)
    a = ap.parse_args()
    a.work = os.path.abspath(a.work)
    odd = os.path.join(a.shared, "datasets", "odd")
    kaggle = os.path.join(a.shared, "datasets", "dogs-vs-cats-3k")
    tflite = os.path.join(a.shared, "weights", "mobilenet_v2_1.0_224_quant", "mobilenet_v2_1.0_224_quant.tflite")
    rows = list(csv.DictReader(open(os.path.join(a.shared, "datasets", "odd.MANIFEST.tsv")), delimiter="\t"))
    check(len(rows) == 54, f"odd.MANIFEST.tsv has {len(rows)} rows, expected 54")
    expect = {r["name"]: r["expected_label"] for r in rows}
    errors = sorted(n for n, e in expect.items() if e == "error")
    shutil.rmtree(a.work, ignore_errors=True)
    os.makedirs(a.work)

    # --- train: 100 cats + 100 dogs, plus the odd files under their label (errors as cats)
    train_dir = os.path.join(a.work, "train")
    os.makedirs(train_dir)
    def num(f):
        return int(f.split(".")[1])
    photos = sorted(os.listdir(kaggle), key=lambda f: (f.split(".")[0], num(f)))
    for cls in ("cat", "dog"):
        for f in [p for p in photos if p.startswith(cls + ".")][:N_PER_CLASS]:
            os.symlink(os.path.join(kaggle, f), os.path.join(train_dir, f))
    odd_in_train = {}
    for name, label in expect.items():
        cls = {"cat": "cat", "dog": "dog", "dog (mixed)": "dog", "error": "cat"}.get(label)
        if cls:
            link = os.path.join(train_dir, f"{cls}.odd-{name}")
            os.symlink(os.path.join(odd, name), link)
            odd_in_train[name] = link
    run_dir = os.path.join(a.work, "run")
    p = run([a.catdog, "train", "--data", train_dir, "--backbone", "mobilenet_v2", "--weights", tflite,
             "--epochs", str(EPOCHS), "--batch-size", "32", "--seed", "7", "--workers", "2", "--device", "cpu",
             "--no-export", "--out", run_dir])
    print(f"train: exit {p.returncode}; stderr tail:\n{p.stderr[-1500:]}", flush=True)
    if not check(p.returncode == 0, f"catdog train exited {p.returncode}"):
        return
    log = p.stdout + p.stderr
    for name in errors:
        path = odd_in_train[name]
        lines = [l for l in log.splitlines() if "warning: skipped " + path + ": " in l]
        # A corrupt file in the val split is met every epoch, but reported once.
        check(len(lines) == 1, f"train: expected one 'warning: skipped {path}: ...' line, got {len(lines)}")

    # --- predict: every odd file in one call
    files = [os.path.join(odd, r["name"]) for r in rows]
    p = run([a.catdog, "predict", "--model", run_dir, "--json", "--device", "cpu", "--workers", "2"] + files)
    check(p.returncode == 1, f"predict: exit {p.returncode}, expected 1 (some files are corrupt)")
    got = {}
    for line in p.stdout.splitlines():
        j = json.loads(line)
        got[os.path.basename(j["file"])] = j
    check(len(got) == 54, f"predict: {len(got)} results for 54 files")
    n_ok = 0
    for r in rows:
        name, want = r["name"], r["expected_label"]
        j = got.get(name)
        if not check(j is not None, f"predict: no result for {name}"):
            continue
        if want == "error":
            err = j.get("error", "")
            check(err.startswith(os.path.join(odd, name) + ": ") and "\n" not in err,
                  f"predict {name}: expected a one-line error naming the file, got {j}")
        elif want == "none" or name in NO_CONTENT:
            check("label" in j, f"predict {name}: no label: {j}")
        else:
            label = want.split()[0]
            if check(j.get("label") == label, f"predict {name}: expected {label}, got {j}"):
                n_ok += 1
    print(f"predict: {n_ok} of {sum(1 for r in rows if r['expected_label'] not in ('none', 'error') and r['name'] not in NO_CONTENT)} "
          f"labelled files right, {len(errors)} refused", flush=True)

    # --- eval: the odd files as a labelled folder
    eval_dir = os.path.join(a.work, "eval")
    os.makedirs(eval_dir)
    for name, link in odd_in_train.items():
        os.symlink(os.path.join(odd, name), os.path.join(eval_dir, os.path.basename(link)))
    p = run([a.catdog, "eval", "--model", run_dir, "--data", eval_dir, "--json", "--device", "cpu", "--workers", "2"])
    if check(p.returncode == 0, f"eval: exit {p.returncode}: {p.stderr[-1000:]}"):
        j = json.loads(p.stdout.strip().splitlines()[-1])
        failed = sorted(os.path.basename(f["file"]).split(".odd-", 1)[1] for f in j["failed"])
        check(failed == errors, f"eval: failed files {failed}, expected {errors}")
        for f in j["failed"]:
            check("\n" not in f["error"] and f["error"].startswith(f["file"] + ": "), f"eval: error not one line naming the file: {f}")
        print(f"eval: n {j['n']}, accuracy {j['accuracy']}, {len(j['failed'])} failed", flush=True)

    # --- featuremaps: each file alone, on the first layer
    p = run([a.catdog, "featuremaps", "--model", run_dir, "--list"])
    layers = [l.strip() for l in p.stdout.strip().split(",") if l.strip()]  # "a, b, c"
    if not check(p.returncode == 0 and layers, f"featuremaps --list: exit {p.returncode}, {p.stdout[:300]}"):
        return
    layer = layers[0]
    for r in rows:
        name = r["name"]
        out = os.path.join(a.work, "fm-" + name + ".png")
        p = run([a.catdog, "featuremaps", "--model", run_dir, "--image", os.path.join(odd, name),
                 "--layer", layer, "-o", out])
        if r["expected_label"] == "error":
            msg = p.stderr.strip()
            check(p.returncode != 0 and not os.path.exists(out), f"featuremaps {name}: exit {p.returncode}, expected a failure")
            check(len(msg.splitlines()) == 1 and os.path.join(odd, name) in msg,
                  f"featuremaps {name}: expected one stderr line naming the file, got {msg!r}")
        else:
            check(p.returncode == 0 and os.path.getsize(out) > 0 if os.path.exists(out) else False,
                  f"featuremaps {name}: exit {p.returncode}: {p.stderr.strip()[-300:]}")
    print(f"featuremaps: 54 files on layer {layer}", flush=True)


if __name__ == "__main__":
    main()
    print(f"odd entry points: {len(failures)} failures")
    sys.exit(1 if failures else 0)
