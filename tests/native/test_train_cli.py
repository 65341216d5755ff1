#!/usr/bin/env python3
"""`catdog train` / `predict` / `eval` end to end.

  accuracy  the seed's recipe with mobilenet_v2 on dogs-vs-cats-3k, 2 epochs, seed 0:
            val acc >= 0.975, holdout-dev acc >= 0.95 (Python/PyTorch: 0.985 / 0.984);
            eval on the training folder scores exactly the run's val split; predict --json on
            good + corrupt files. Prints wall time, train_img_s and peak RSS.
  resume    a small subset plus every file of odd/: the uninterrupted run reports each corrupt
            file once; runs stopped after epoch 1, mid-epoch, and by SIGINT, then resumed, end
            with the same metrics and bit-identical weights (read back with torch.load).
  kill      SIGKILL at random points (>= 10 times) with a resume after each; same final result;
            every artifact in the run folder parses after every kill.
  rss       peak RSS on a folder with 10x the photos stays within 10 % of the 1x folder's.
  outdir    an output folder that cannot be written: one clear error, nothing left behind.
  cache     --cache-features: accuracy on the full 3k, trunk passes, bad files, resume.

Usage: test_train_cli.py MODE --catdog BIN --shared ../shared --work DIR
"""
import argparse, csv, hashlib, io, json, os, random, resource, shutil, signal, subprocess, sys, time

from cli_checks import FAILS, check, fresh, load_json, run


def odd_rows(shared):
    with open(os.path.join(shared, "datasets", "odd.MANIFEST.tsv")) as f:
        return list(csv.DictReader(f, delimiter="\t"))


def subset(shared, dest, per_class, with_odd):
    """per_class photos of each class from dogs-vs-cats-3k (symlinks), plus the odd files under
    cat/dog names (corrupt ones as cats). Returns {odd name: link path} for the corrupt ones."""
    kaggle = os.path.join(shared, "datasets", "dogs-vs-cats-3k")
    fresh(dest)
    for cls in ("cat", "dog"):
        for i in range(1, per_class + 1):
            os.symlink(os.path.join(kaggle, f"{cls}.{i}.jpg"), os.path.join(dest, f"{cls}.{i}.jpg"))
    errors = {}
    if with_odd:
        odd = os.path.join(shared, "datasets", "odd")
        for r in odd_rows(shared):
            cls = {"cat": "cat", "dog": "dog", "dog (mixed)": "dog", "error": "cat"}.get(r["expected_label"])
            if cls:
                link = os.path.join(dest, f"{cls}.odd-{r['name']}")
                os.symlink(os.path.join(odd, r["name"]), link)
                if r["expected_label"] == "error":
                    errors[r["name"]] = link
    return errors


def metrics_rows(run_dir):
    """metrics.csv without the timing column (img/s differs between any two runs)."""
    with open(os.path.join(run_dir, "metrics.csv")) as f:
        rows = list(csv.DictReader(f))
    return [{k: v for k, v in r.items() if k != "img_s"} for r in rows]


def weights(run_dir):
    import torch  # the outside reader of model.ckpt
    return torch.load(os.path.join(run_dir, "model.ckpt"))


def same_run(a, b, what):
    """b ends exactly like a: metrics, summary figures and every weight bit."""
    import torch
    check(metrics_rows(a) == metrics_rows(b), f"{what}: metrics.csv differs:\n{metrics_rows(a)}\n{metrics_rows(b)}")
    sa, sb = load_json(os.path.join(a, "summary.json")), load_json(os.path.join(b, "summary.json"))
    for k in ("val_acc", "val_loss", "train_loss", "per_class_acc", "confusion", "skipped_files", "best_val_acc"):
        check(sa.get(k) == sb.get(k), f"{what}: summary {k}: {sa.get(k)} vs {sb.get(k)}")
    wa, wb = weights(a), weights(b)
    check(sorted(wa) == sorted(wb), f"{what}: parameter names differ")
    diff = [k for k in wa if k in wb and not torch.equal(wa[k], wb[k])]
    check(not diff, f"{what}: weights differ in {diff[:5]}")
    print(f"{what}: same metrics and weights as the uninterrupted run "
          f"(val_acc {sb['val_acc']}, {len(wb)} tensors)", flush=True)


def artifacts_parse(run_dir, what):
    """Every artifact present is whole: JSON parses, metrics.csv rows are complete."""
    for name in ("config.json", "split.json", "summary.json"):
        p = os.path.join(run_dir, name)
        if os.path.exists(p):
            try:
                load_json(p)
            except Exception as e:
                check(False, f"{what}: {name} is damaged: {e}")
    p = os.path.join(run_dir, "metrics.csv")
    if os.path.exists(p):
        with open(p) as f:
            lines = f.read().splitlines()
        check(lines and lines[0] == "epoch,train_loss,val_loss,val_acc,lr,img_s", f"{what}: metrics.csv header")
        check(all(len(l.split(",")) == 6 for l in lines), f"{what}: metrics.csv has a torn row")


# ---------------------------------------------------------------------------------------------
def mode_accuracy(a):
    shared = a.shared
    tflite = os.path.join(shared, "weights/mobilenet_v2_1.0_224_quant/mobilenet_v2_1.0_224_quant.tflite")
    data = os.path.join(shared, "datasets/dogs-vs-cats-3k")
    holdout = os.path.join(shared, "datasets/holdout-dev")
    run_dir = os.path.join(fresh(a.work), "run")
    t0 = time.time()
    p = run([a.catdog, "train", "--data", data, "--backbone", "mobilenet_v2", "--weights", tflite,
             "--epochs", "2", "--seed", "0", "--device", "cpu", "--no-export", "--out", run_dir])
    wall = time.time() - t0
    rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(p.stdout[-3000:], p.stderr[-2000:], flush=True)
    if not check(p.returncode == 0, f"train exited {p.returncode}"):
        return
    s = load_json(os.path.join(run_dir, "summary.json"))
    cfg = load_json(os.path.join(run_dir, "config.json"))
    print(f"RESULT train: val_acc {s['val_acc']:.4f}, train_img_s {s['train_img_s']:.1f}, wall {wall:.0f} s, "
          f"peak RSS {rss_mb:.0f} MB", flush=True)
    check(s["val_acc"] >= 0.975, f"val acc {s['val_acc']} < 0.975")
    check(s["epochs"] == 2 and s["skipped_files"] == 0 and s["val_samples"] == 600 and s["train_samples"] == 2400,
          f"summary counts: {s}")
    check(cfg["labels"] == ["cat", "dog"] and cfg["batch_size"] == 64 and cfg["lr"] == 1e-3
          and cfg["lr_schedule"] == "step" and cfg["lr_gamma"] == 0.5 and cfg["feature_dim"] == 1280
          and cfg["transform"]["mean"] == [0.5, 0.5, 0.5], f"config: {cfg}")
    rows = metrics_rows(run_dir)
    check([r["epoch"] for r in rows] == ["1", "2"] and float(rows[1]["lr"]) == 5e-4, f"metrics.csv: {rows}")
    for name in ("checkpoint-last.ckpt", "checkpoint-best.ckpt", "model.ckpt", "split.json"):
        check(os.path.exists(os.path.join(run_dir, name)), f"{name} missing")

    # holdout-dev: photos from other sources.
    p = run([a.catdog, "eval", "--model", run_dir, "--data", holdout, "--json", "--device", "cpu"])
    if check(p.returncode == 0, f"eval holdout exited {p.returncode}: {p.stderr}"):
        j = json.loads(p.stdout)
        print(f"RESULT holdout-dev: accuracy {j['accuracy']:.4f} ({j['n']} photos), "
              f"per class {j['per_class_acc']}, {len(j['misclassified'])} misclassified", flush=True)
        check(j["accuracy"] >= 0.95, f"holdout-dev accuracy {j['accuracy']} < 0.95")
        check(j["n"] == 122 and j["split"] == "all", f"holdout eval: n {j['n']}, split {j['split']}")
        conf = j["confusion"]
        check(sum(map(sum, conf)) == 122 and len(j["misclassified"]) == 122 - conf[0][0] - conf[1][1],
              f"holdout eval: confusion {conf} vs misclassified {len(j['misclassified'])}")
    p = run([a.catdog, "eval", "--model", run_dir, "--data", holdout, "--device", "cpu"])
    check(p.returncode == 0 and "accuracy" in p.stdout and "true\\pred" in p.stdout, f"eval text output: {p.stdout}")
    print(p.stdout, flush=True)

    # eval on the training folder scores the run's val split, i.e. what training reported.
    p = run([a.catdog, "eval", "--model", run_dir, "--data", data, "--json", "--device", "cpu"])
    if check(p.returncode == 0, f"eval on training folder exited {p.returncode}: {p.stderr}"):
        j = json.loads(p.stdout)
        check(j["split"] == "val" and j["n"] == 600 and j["confusion"] == s["confusion"],
              f"eval on the training folder: split {j['split']}, n {j['n']}, {j['confusion']} vs {s['confusion']}")

    # predict: two good photos and two corrupt files.
    odd = os.path.join(shared, "datasets/odd")
    files = [os.path.join(holdout, "cat.20240.jpg"), os.path.join(odd, "bad.empty_0_bytes.jpg"),
             os.path.join(holdout, "dog.20240.jpg"), os.path.join(odd, "bad.truncated.png")]
    p = run([a.catdog, "predict", "--model", run_dir, "--json", "--device", "cpu"] + files)
    check(p.returncode == 1, f"predict with corrupt files exited {p.returncode}")
    out = [json.loads(l) for l in p.stdout.splitlines()]
    print(p.stdout, flush=True)
    if check(len(out) == 4, f"predict printed {len(out)} lines"):
        check([o["file"] for o in out] == files, "predict: results not in input order")
        check(out[0].get("label") == "cat" and out[2].get("label") == "dog", f"predict labels: {out}")
        for o in (out[0], out[2]):
            check(abs(sum(o["probs"].values()) - 1) < 1e-4 and set(o["probs"]) == {"cat", "dog"}, f"probs: {o}")
        for o in (out[1], out[3]):
            check("error" in o and o["error"].startswith(o["file"] + ": ") and "\n" not in o["error"], f"error: {o}")
    p = run([a.catdog, "predict", "--model", run_dir, "--topk", "1", "--device", "cpu", files[0]])
    check(p.returncode == 0 and p.stdout.split()[1] == "cat", f"predict plain: {p.stdout}")


# ---------------------------------------------------------------------------------------------
def mode_cache(a):
    """--cache-features. The full 3k with mobilenet_v2, 2 epochs: val acc >= 0.975
    like the full-augmentation run (the Python recipe: 0.985). A subset with the odd files, 5
    epochs, 1 random crop: the trunk passes over the training photos are exactly the 3 views,
    each corrupt file is reported once, and a run stopped in epoch 4 and resumed ends with the
    same metrics and bit-identical weights (torch.load)."""
    import re
    fresh(a.work)
    tflite = os.path.join(a.shared, "weights/mobilenet_v2_1.0_224_quant/mobilenet_v2_1.0_224_quant.tflite")
    full = os.path.join(a.work, "full")
    t0 = time.time()
    p = run([a.catdog, "train", "--data", os.path.join(a.shared, "datasets/dogs-vs-cats-3k"), "--backbone",
             "mobilenet_v2", "--weights", tflite, "--epochs", "2", "--seed", "0", "--device", "cpu", "--no-export",
             "--cache-features", "--out", full])
    wall = time.time() - t0
    print(p.stdout[-1500:], p.stderr[-1500:], flush=True)
    if check(p.returncode == 0, f"cached train exited {p.returncode}"):
        s = load_json(os.path.join(full, "summary.json"))
        print(f"RESULT --cache-features mobilenet_v2: val_acc {s['val_acc']:.4f}, wall {wall:.0f} s", flush=True)
        check(s["val_acc"] >= 0.975, f"cached run val acc {s['val_acc']} < 0.975")
        check(load_json(os.path.join(full, "config.json")).get("cache_features") is True, "config.json: cache_features")
        check(not [f for f in os.listdir(full) if "features-" in f], f"feature files left behind: {os.listdir(full)}")

    data = os.path.join(a.work, "data")
    errors = subset(a.shared, data, 40, with_odd=True)
    args = ["--data", data, "--backbone", "mobilenet_v2", "--weights", tflite, "--epochs", "5", "--batch-size", "8",
            "--seed", "3", "--device", "cpu", "--no-export", "--cache-features", "--cache-crops", "1"]
    views = lambda out: sorted(set(re.findall(r"features: view (\d+/\d+)", out)))
    ref = os.path.join(a.work, "uninterrupted")
    p = run([a.catdog, "train"] + args + ["--out", ref])
    print(p.stdout[-1500:], p.stderr[-1500:], flush=True)
    if not check(p.returncode == 0, f"cached subset run exited {p.returncode}"):
        return
    check(views(p.stdout) == ["1/3", "2/3", "3/3"], f"trunk passes: {views(p.stdout)}")
    for name, link in errors.items():
        n = sum(1 for l in p.stderr.splitlines() if l.startswith(f"warning: skipped {link}: "))
        check(n == 1, f"{name}: reported {n} times")
    check(len(metrics_rows(ref)) == 5, "5 epochs in metrics.csv")

    b = os.path.join(a.work, "stopped")
    nb = -(-len(load_json(os.path.join(ref, "split.json"))["train"]) // 8)
    p = run([a.catdog, "train"] + args + ["--out", b, "--stop-after-batches", str(3 * nb + 2)])
    check(p.returncode == 0 and "--resume" in p.stdout, f"stop in epoch 4: {p.returncode} {p.stdout[-300:]}")
    check(len(metrics_rows(b)) == 3, f"stopped run has {len(metrics_rows(b))} epochs, not 3")
    p = run([a.catdog, "train", "--resume", b, "--no-export"])
    check(p.returncode == 0 and "resuming at epoch 4" in p.stdout, f"resume: {p.returncode} {p.stdout[:300]}")
    check(views(p.stdout) == ["1/3", "2/3", "3/3"], f"trunk passes after resume: {views(p.stdout)}")
    same_run(ref, b, "--cache-features stopped in epoch 4")


# ---------------------------------------------------------------------------------------------
def common_args(a, data):
    tflite = os.path.join(a.shared, "weights/mobilenet_v2_1.0_224_quant/mobilenet_v2_1.0_224_quant.tflite")
    return ["--data", data, "--backbone", "mobilenet_v2", "--weights", tflite, "--epochs", "2", "--batch-size", "8",
            "--seed", "3", "--device", "cpu", "--workers", "2", "--no-export"]


def reference_run(a, data, errors):
    ref = os.path.join(a.work, "uninterrupted")
    p = run([a.catdog, "train"] + common_args(a, data) + ["--out", ref])
    print(p.stdout[-1500:], p.stderr[-3000:], flush=True)
    check(p.returncode == 0, f"uninterrupted run exited {p.returncode}")
    # Bad input: every corrupt file reported exactly once (val ones are met every epoch), the
    # good ones never; training finished.
    for name, link in errors.items():
        n = sum(1 for l in p.stderr.splitlines() if l.startswith(f"warning: skipped {link}: "))
        check(n == 1, f"{name}: reported {n} times")
    warned = [l for l in p.stderr.splitlines() if l.startswith("warning: skipped ")]
    check(len(warned) == len(errors), f"{len(warned)} warnings for {len(errors)} corrupt files: {warned}")
    s = load_json(os.path.join(ref, "summary.json"))
    check(s["skipped_files"] == len(errors), f"summary skipped_files {s['skipped_files']} != {len(errors)}")
    return ref


def mode_resume(a):
    fresh(a.work)
    data = os.path.join(a.work, "data")
    errors = subset(a.shared, data, 40, with_odd=True)
    ref = reference_run(a, data, errors)
    args = common_args(a, data)

    # Stopped cleanly after epoch 1, resumed.
    b = os.path.join(a.work, "after-epoch-1")
    p = run([a.catdog, "train"] + args + ["--out", b, "--stop-after-epoch", "1"])
    check(p.returncode == 0 and "--resume" in p.stdout, f"stop-after-epoch: exit {p.returncode}: {p.stdout[-500:]}")
    check(not os.path.exists(os.path.join(b, "model.ckpt")) and len(metrics_rows(b)) == 1, "epoch-1 stop state")
    split_sha = hashlib.sha256(open(os.path.join(b, "split.json"), "rb").read()).hexdigest()
    p = run([a.catdog, "train", "--resume", b, "--workers", "1", "--no-export"])
    check(p.returncode == 0, f"resume after epoch 1: exit {p.returncode}: {p.stderr[-800:]}")
    check(hashlib.sha256(open(os.path.join(b, "split.json"), "rb").read()).hexdigest() == split_sha,
          "split.json changed on resume")
    check(sum(1 for l in p.stderr.splitlines() if l.startswith("warning: skipped ")) == 0,
          "resume re-reported bad files already recorded in the checkpoint")
    same_run(ref, b, "stopped after epoch 1")

    # Stopped in the middle of epoch 1.
    c = os.path.join(a.work, "mid-epoch")
    p = run([a.catdog, "train"] + args + ["--out", c, "--stop-after-batches", "3"])
    check(p.returncode == 0 and not os.path.exists(os.path.join(c, "metrics.csv")), f"mid-epoch stop: {p.returncode}")
    p = run([a.catdog, "train", "--resume", c, "--no-export"])
    check(p.returncode == 0 and "resuming at epoch 1, batch 3" in p.stdout, f"resume mid-epoch: {p.stdout[:400]}")
    same_run(ref, c, "stopped mid-epoch")

    # SIGINT: stops at the end of a batch with a resumable checkpoint, exit code 130.
    d = os.path.join(a.work, "sigint")
    proc = subprocess.Popen([a.catdog, "train"] + args + ["--out", d, "--checkpoint-every", "1"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    ckpt = os.path.join(d, "checkpoint-last.ckpt")
    while proc.poll() is None and not os.path.exists(ckpt):
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate()
    check(proc.returncode == 130 and "interrupted" in err, f"SIGINT: exit {proc.returncode}: {err[-300:]}")
    check(not os.path.exists(os.path.join(d, "model.ckpt")), "SIGINT run wrote a final model")
    p = run([a.catdog, "train", "--resume", d, "--no-export"])
    check(p.returncode == 0, f"resume after SIGINT: {p.returncode}: {p.stderr[-500:]}")
    same_run(ref, d, "interrupted by SIGINT")

    # A finished run resumes to a no-op; --out on an existing run is refused.
    p = run([a.catdog, "train", "--resume", ref, "--no-export"])
    check(p.returncode == 0 and "already finished" in p.stdout, f"resume of a finished run: {p.stdout}")
    p = run([a.catdog, "train"] + args + ["--out", ref])
    check(p.returncode != 0 and "--resume" in p.stderr, f"--out on an existing run: {p.returncode} {p.stderr}")


def mode_kill(a):
    fresh(a.work)
    data = os.path.join(a.work, "data")
    # Enough batches (80 photos a class, batch 8) that even on an idle machine, where a batch takes
    # ~0.1 s, the run outlasts the kills.
    errors = subset(a.shared, data, 80, with_odd=True)
    ref = reference_run(a, data, errors)
    run_dir = os.path.join(a.work, "killed")
    ckpt = os.path.join(run_dir, "checkpoint-last.ckpt")
    rng = random.Random(1234)
    kills, starts = 0, 0
    while True:
        cmd = ([a.catdog, "train"] + common_args(a, data) + ["--out", run_dir] if starts == 0
               else [a.catdog, "train", "--resume", run_dir, "--no-export"])
        cmd += ["--checkpoint-every", "1"]
        before = os.stat(ckpt).st_mtime_ns if os.path.exists(ckpt) else None
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        starts += 1
        if kills < a.kills:
            # Let it make progress (a new checkpoint), then kill it at a random moment after.
            while proc.poll() is None and (not os.path.exists(ckpt) or os.stat(ckpt).st_mtime_ns == before):
                time.sleep(0.02)
            time.sleep(rng.uniform(0, 0.15))
        if proc.poll() is None and kills < a.kills:
            proc.kill()
            proc.wait()
            kills += 1
            artifacts_parse(run_dir, f"after kill {kills}")
            continue
        proc.wait()
        check(proc.returncode == 0, f"start {starts} exited {proc.returncode}")
        if os.path.exists(os.path.join(run_dir, "model.ckpt")) or proc.returncode != 0:
            break
    print(f"RESULT kill: {kills} SIGKILLs over {starts} starts", flush=True)
    check(kills >= 10, f"only {kills} kills happened before the run finished")
    same_run(ref, run_dir, f"killed {kills} times")
    leftovers = [f for f in os.listdir(run_dir) if ".tmp" in f]
    check(not leftovers, f"temporary files left in the run folder: {leftovers}")


def mode_rss(a):
    """Peak RSS after the same number of batches on 3k photos and on 30k (10 links each)."""
    fresh(a.work)
    kaggle = os.path.join(a.shared, "datasets", "dogs-vs-cats-3k")
    tflite = os.path.join(a.shared, "weights/mobilenet_v2_1.0_224_quant/mobilenet_v2_1.0_224_quant.tflite")
    big = fresh(os.path.join(a.work, "x10"))
    for f in os.listdir(kaggle):
        cls, num, ext = f.split(".")
        for k in range(10):
            os.symlink(os.path.join(kaggle, f), os.path.join(big, f"{cls}.{k}{num}.{ext}"))
    peaks = {}
    for name, data in (("x1", kaggle), ("x10", big)):
        out = os.path.join(a.work, "run-" + name)
        cmd = [a.catdog, "train", "--data", data, "--backbone", "mobilenet_v2", "--weights", tflite,
               "--device", "cpu", "--workers", "2", "--no-export", "--out", out, "--stop-after-batches", "8"]
        p = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd, capture_output=True, text=True)
        check(p.returncode == 0, f"{name}: exit {p.returncode}: {p.stderr[-500:]}")
        peaks[name] = int(p.stderr.strip().splitlines()[-1]) / 1024
    print(f"RESULT rss: peak {peaks['x1']:.0f} MB on 3,000 photos, {peaks['x10']:.0f} MB on 30,000", flush=True)
    check(peaks["x10"] <= 1.10 * peaks["x1"], f"peak RSS grew {peaks['x10'] / peaks['x1']:.2f}x with 10x the photos")


def mode_outdir(a):
    fresh(a.work)
    data = os.path.join(a.work, "data")
    subset(a.shared, data, 4, with_odd=False)
    tflite = os.path.join(a.shared, "weights/mobilenet_v2_1.0_224_quant/mobilenet_v2_1.0_224_quant.tflite")
    if os.geteuid() == 0:
        target = "/proc/catdog-no-such-run"   # root ignores permissions; /proc refuses new files
    else:
        ro = fresh(os.path.join(a.work, "readonly"))
        os.chmod(ro, 0o555)
        target = os.path.join(ro, "run")
    p = run([a.catdog, "train", "--data", data, "--backbone", "mobilenet_v2", "--weights", tflite,
             "--epochs", "1", "--device", "cpu", "--no-export", "--out", target])
    print(p.stderr, flush=True)
    lines = [l for l in p.stderr.splitlines() if l.strip()]
    check(p.returncode != 0 and len(lines) == 1 and target in lines[0], f"unwritable --out: {p.returncode} {p.stderr}")
    check(not os.path.exists(target), "a partial run folder was left behind")

    # A folder where no photo decodes: one clear error naming it, not a run of NaN losses.
    bad = fresh(os.path.join(a.work, "all-corrupt"))
    corrupt = [r["name"] for r in odd_rows(a.shared) if r["expected_label"] == "error"]
    for i in range(10):
        os.symlink(os.path.join(a.shared, "datasets", "odd", corrupt[i % len(corrupt)]),
                   os.path.join(bad, f"{('cat', 'dog')[i % 2]}.{i}.jpg"))
    p = run([a.catdog, "train", "--data", bad, "--backbone", "mobilenet_v2", "--weights", tflite,
             "--epochs", "1", "--device", "cpu", "--no-export", "--out", os.path.join(a.work, "all-corrupt-run")])
    errs = [l for l in p.stderr.splitlines() if l.startswith("catdog train: ")]
    print(p.stdout[-300:], p.stderr[-600:], flush=True)
    check(p.returncode not in (0, 130) and len(errs) == 1 and "none of the" in errs[0] and bad in errs[0],
          f"all-corrupt folder: exit {p.returncode}: {p.stderr[-400:]}")


def mode_diskfull(a):
    """An output folder on a full file system (a 3 MB tmpfs): one clear error, and whatever is
    left in the run folder is complete (no temporary files, every JSON parses)."""
    fresh(a.work)
    data = os.path.join(a.work, "data")
    subset(a.shared, data, 4, with_odd=False)
    tflite = os.path.join(a.shared, "weights/mobilenet_v2_1.0_224_quant/mobilenet_v2_1.0_224_quant.tflite")
    full = fresh(os.path.join(a.work, "full"))
    m = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", full], capture_output=True, text=True)
    if not check(m.returncode == 0, f"cannot mount a small tmpfs to fill (needs root): {m.stderr.strip()}"):
        return
    try:
        target = os.path.join(full, "run")
        p = run([a.catdog, "train", "--data", data, "--backbone", "mobilenet_v2", "--weights", tflite,
                 "--epochs", "1", "--batch-size", "8", "--device", "cpu", "--no-export", "--out", target])
        print(p.stderr[-2000:], flush=True)
        errs = [l for l in p.stderr.splitlines() if l.startswith("catdog train:")]
        check(p.returncode != 0, "training on a full disk reported success")
        check(len(errs) == 1 and "space" in errs[0].lower(), f"no one-line 'no space' error: {errs}")
        if os.path.isdir(target):
            left = sorted(os.listdir(target))
            print("left in the run folder:", left, flush=True)
            check(not [f for f in left if ".tmp" in f or f.endswith(".part")], f"partial files left: {left}")
            for f in left:
                if f.endswith(".json"):
                    try:
                        load_json(os.path.join(target, f))
                    except Exception as e:  # noqa: BLE001 - any parse failure is the finding
                        check(False, f"{f} is corrupt: {e}")
    finally:
        subprocess.run(["umount", full])


def mode_predict1000(a):
    """`catdog predict` on 1,000 files: peak RSS stays that of 300 files (nothing accumulates;
    the allocator's working set settles within the first few batches)."""
    fresh(a.work)
    data = os.path.join(a.work, "data")
    subset(a.shared, data, 4, with_odd=False)
    tflite = os.path.join(a.shared, "weights/mobilenet_v2_1.0_224_quant/mobilenet_v2_1.0_224_quant.tflite")
    runp = os.path.join(a.work, "run")
    p = run([a.catdog, "train", "--data", data, "--backbone", "mobilenet_v2", "--weights", tflite,
             "--epochs", "1", "--batch-size", "8", "--device", "cpu", "--no-export", "--out", runp])
    if not check(p.returncode == 0, f"training the model to predict with failed: {p.stderr[-800:]}"):
        return
    kaggle = os.path.join(a.shared, "datasets", "dogs-vs-cats-3k")
    files = sorted(os.path.join(kaggle, f) for f in os.listdir(kaggle))[:1000]
    peaks = {}
    for n in (300, 1000):
        p = subprocess.run(["/usr/bin/time", "-f", "%M", a.catdog, "predict", "--model", runp, "--json"] + files[:n],
                           capture_output=True, text=True)
        lines = [l for l in p.stdout.splitlines() if l.startswith("{")]
        check(p.returncode == 0 and len(lines) == n, f"predict on {n} files: exit {p.returncode}, {len(lines)} lines")
        peaks[n] = int(p.stderr.strip().splitlines()[-1]) / 1024
    print(f"RESULT predict rss: peak {peaks[300]:.0f} MB for 300 files, {peaks[1000]:.0f} MB for 1,000", flush=True)
    check(peaks[1000] <= 1.10 * peaks[300], f"peak RSS grew from {peaks[300]:.0f} to {peaks[1000]:.0f} MB")


def mode_predict_lite(a):
    """`catdog predict` answered without LibTorch (lite/fast_predict.h) against the LibTorch path
    (CATDOG_TORCH_PREDICT=1) on an AlexNet run: same labels, same errors, probabilities within
    1e-5, over Kaggle photos, every odd/ file and a missing one. A copy of `catdog` alone in a
    folder (no catdog-torch beside it) must still predict, and must hand over what it cannot do."""
    fresh(a.work)
    data = os.path.join(a.work, "data")
    subset(a.shared, data, 4, with_odd=False)
    # Kaiming-normal weights: activations stay O(1), so the logits and probabilities differ
    # between photos and a 1e-5 check can fail (torch's default init gives ~0.5 everywhere).
    pth = os.path.join(a.work, "alexnet_kaiming.pth")
    subprocess.run(["/usr/bin/python3", "-c", f"""
import torch, torchvision
torch.manual_seed(1)
m = torchvision.models.alexnet()
with torch.no_grad():
    for n, p in m.named_parameters():
        if n.endswith('.weight'): torch.nn.init.kaiming_normal_(p, mode='fan_in', nonlinearity='relu')
        else: torch.nn.init.normal_(p, 0, 0.1)
torch.save(m.state_dict(), {pth!r})
"""], check=True)
    runp = os.path.join(a.work, "run")
    p = run([a.catdog, "train", "--data", data, "--backbone", "alexnet", "--weights", pth,
             "--epochs", "1", "--batch-size", "4", "--no-export", "--out", runp])
    if not check(p.returncode == 0, f"training the model to predict with failed: {p.stderr[-800:]}"):
        return
    kaggle = os.path.join(a.shared, "datasets", "dogs-vs-cats-3k")
    odd = os.path.join(a.shared, "datasets", "odd")
    files = sorted(os.path.join(kaggle, f) for f in os.listdir(kaggle))[:40:2]
    files += sorted(os.path.join(odd, r["name"]) for r in odd_rows(a.shared))
    files.append(os.path.join(a.work, "no-such-photo.jpg"))

    def predict(exe, env_extra, extra=(), photos=files):
        env = dict(os.environ, **env_extra)
        t = time.time()
        p = subprocess.run([exe, "predict", "--model", runp, "--json", *extra] + photos,
                           capture_output=True, text=True, env=env)
        return p, [json.loads(l) for l in p.stdout.splitlines() if l.startswith("{")], time.time() - t

    lite, lite_rows, _ = predict(a.catdog, {})
    full, full_rows, _ = predict(a.catdog, {"CATDOG_TORCH_PREDICT": "1"})
    check(lite.returncode == full.returncode == 1, f"exit codes: lite {lite.returncode}, LibTorch {full.returncode} (expected 1: bad files)")
    check(lite.stderr.strip().splitlines()[-1:] == full.stderr.strip().splitlines()[-1:],
          f"last stderr lines differ: {lite.stderr[-200:]!r} vs {full.stderr[-200:]!r}")
    if not check(len(lite_rows) == len(full_rows) == len(files), f"{len(lite_rows)} / {len(full_rows)} lines for {len(files)} files"):
        return
    worst, errors, labels = 0.0, 0, set()
    for l, f in zip(lite_rows, full_rows):
        check(l["file"] == f["file"], f"order: {l['file']} vs {f['file']}")
        if "error" in f or "error" in l:
            errors += 1
            check(l.get("error") == f.get("error"), f"{f['file']}: error {l.get('error')!r} vs {f.get('error')!r}")
            continue
        check(l["label"] == f["label"], f"{f['file']}: label {l['label']} vs {f['label']}")
        labels.add(l["label"])
        worst = max(worst, max(abs(l["probs"][k] - f["probs"][k]) for k in f["probs"]))
    spread = max(abs(r["probs"]["cat"] - 0.5) for r in full_rows if "probs" in r)
    print(f"RESULT predict lite vs LibTorch: {len(files)} files, {errors} errors identical, labels {sorted(labels)}, "
          f"max |prob diff| {worst:.2e} (probabilities reach {0.5 + spread:.3f})", flush=True)
    check(worst <= 1e-5, f"probabilities differ by {worst}")
    check(spread > 0.05, f"the probabilities are all ~0.5 (max |p - 0.5| {spread}): the comparison would be empty")

    # `catdog` alone: predicts without LibTorch; hands over (and so fails here) what needs it.
    alone = fresh(os.path.join(a.work, "alone"))
    shutil.copy2(a.catdog, alone)
    exe = os.path.join(alone, os.path.basename(a.catdog))
    p, rows, secs = predict(exe, {}, photos=files[:2])
    check(p.returncode == 0 and len(rows) == 2, f"catdog without catdog-torch beside it: exit {p.returncode}, {p.stderr[-300:]!r}")
    p, _, _ = predict(exe, {}, extra=("--device", "cuda"), photos=files[:1])
    check(p.returncode == 127 and "catdog-torch" in p.stderr, f"--device cuda was not handed over: exit {p.returncode} {p.stderr!r}")
    # One weight file: the small catdog maps model.ckpt itself (no sidecar beside it).
    check(not os.path.exists(os.path.join(runp, "model.ckpt.f32")), "a model.ckpt.f32 sidecar was written")
    _, _, t_full = predict(a.catdog, {"CATDOG_TORCH_PREDICT": "1"}, photos=files[:1])
    print(f"RESULT predict: {secs:.2f} s for two photos without LibTorch (process included), "
          f"{t_full:.2f} s for one through LibTorch reading model.ckpt", flush=True)
    damaged = os.path.join(alone, "run")  # a damaged model.ckpt is handed over, not misread
    shutil.copytree(runp, damaged)
    with open(os.path.join(damaged, "model.ckpt"), "r+b") as f:
        f.write(b"JUNK")
    p = subprocess.run([exe, "predict", "--model", damaged, files[0]], capture_output=True, text=True)
    check(p.returncode == 127, f"a damaged model.ckpt was not handed over: exit {p.returncode} {p.stderr[-300:]!r}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["accuracy", "resume", "kill", "rss", "outdir", "diskfull", "predict1000", "cache",
                                       "predict_lite"])
    ap.add_argument("--catdog", required=True)
    ap.add_argument("--shared", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--kills", type=int, default=10)
    a = ap.parse_args()
    if not os.path.isdir(os.path.join(a.shared, "datasets")):
        print(f"FAIL: ../shared is missing (looked in {a.shared})")
        return 1
    globals()["mode_" + a.mode](a)
    print(f"{a.mode}: {'FAILED (' + str(len(FAILS)) + ')' if FAILS else 'passed'}", flush=True)
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
