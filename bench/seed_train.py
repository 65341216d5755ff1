#!/usr/bin/python3
"""The seed's training code as written, for bench/train to time against `catdog train`.

The reference, not the product: Debian's python3-torch 1.13 + torchvision 0.14. It reads each file
to a uint8 HWC array, then ToPILImage -> Resize(256) -> RandomCrop(224) -> RandomHorizontalFlip ->
ToTensor -> Normalize, a DataLoader with batch 64, shuffle and num_workers=0, the whole AlexNet in
train mode with every parameter frozen except a new Linear(4096, 2), Adam 1e-3 on it, StepLR(1, 0.5),
validation after each epoch with Resize(256) -> CenterCrop(224).

--tuned adds what a careful Python user would: channels_last and 2 loader workers.
--bare times AlexNet's forward alone on random batches (no data pipeline).
Prints one JSON line with the figures.
"""
import argparse, json, os, random, sys, time

import numpy as np
import torch
import torch.nn as nn
import torchvision
from PIL import Image
from torch.utils.data import DataLoader, Dataset
from torchvision import transforms

MEAN, STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]


class KaggleFolder(Dataset):
    def __init__(self, files, labels, tf):
        self.files, self.labels, self.tf = files, labels, tf

    def __len__(self):
        return len(self.files)

    def __getitem__(self, i):
        img = np.asarray(Image.open(self.files[i]).convert("RGB"))  # == skimage.io.imread
        return self.tf(img), self.labels[i]


def split(data_dir, seed):
    files = sorted(f for f in os.listdir(data_dir) if f.lower().endswith(".jpg"))
    classes = sorted({f.split(".")[0] for f in files})
    rng = random.Random(seed)
    rng.shuffle(files)
    n_val = len(files) // 5
    lab = lambda fs: [classes.index(f.split(".")[0]) for f in fs]
    full = lambda fs: [os.path.join(data_dir, f) for f in fs]
    return (full(files[n_val:]), lab(files[n_val:])), (full(files[:n_val]), lab(files[:n_val])), classes


def bare_forward(args):
    model = torchvision.models.alexnet().eval()
    x = torch.randn(64, 3, 224, 224)
    if args.channels_last:
        model = model.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    with torch.no_grad():
        model(x)
        t0, n = time.perf_counter(), 0
        while time.perf_counter() - t0 < args.seconds:
            model(x)
            n += 64
    return {"bare_img_s": n / (time.perf_counter() - t0), "channels_last": args.channels_last}


def train(args):
    torch.manual_seed(args.seed)
    (tr_f, tr_y), (va_f, va_y), classes = split(args.data, args.seed)
    if args.limit:
        tr_f, tr_y, va_f, va_y = tr_f[:args.limit], tr_y[:args.limit], va_f[:args.limit // 4], va_y[:args.limit // 4]
    train_tf = transforms.Compose([transforms.ToPILImage(), transforms.Resize(256), transforms.RandomCrop(224),
                                   transforms.RandomHorizontalFlip(), transforms.ToTensor(),
                                   transforms.Normalize(MEAN, STD)])
    val_tf = transforms.Compose([transforms.ToPILImage(), transforms.Resize(256), transforms.CenterCrop(224),
                                 transforms.ToTensor(), transforms.Normalize(MEAN, STD)])
    workers = 2 if args.tuned else 0
    tl = DataLoader(KaggleFolder(tr_f, tr_y, train_tf), batch_size=64, shuffle=True, num_workers=workers)
    vl = DataLoader(KaggleFolder(va_f, va_y, val_tf), batch_size=64, shuffle=False, num_workers=workers)

    model = torchvision.models.alexnet()
    if args.weights:
        model.load_state_dict(torch.load(args.weights))
    for p in model.parameters():
        p.requires_grad = False
    model.classifier[6] = nn.Linear(4096, len(classes))
    if args.tuned:
        model = model.to(memory_format=torch.channels_last)
    dev = torch.device(args.device)
    model = model.to(dev)
    opt = torch.optim.Adam(model.classifier[6].parameters(), lr=1e-3)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    loss_fn = nn.CrossEntropyLoss()

    train_time, train_imgs, acc = 0.0, 0, 0.0
    t_start = time.perf_counter()
    for epoch in range(args.epochs):
        model.train()
        t0 = time.perf_counter()
        for x, y in tl:
            x, y = x.to(dev), y.to(dev)
            if args.tuned:
                x = x.contiguous(memory_format=torch.channels_last)
            opt.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            opt.step()
            train_imgs += len(y)
        if dev.type == "cuda":
            torch.cuda.synchronize()
        train_time += time.perf_counter() - t0
        sched.step()
        model.eval()
        correct = 0
        with torch.no_grad():
            for x, y in vl:
                x, y = x.to(dev), y.to(dev)
                correct += (model(x).argmax(1) == y).sum().item()
        acc = correct / max(1, len(va_y))
    return {"train_img_s": train_imgs / train_time, "val_acc": acc, "wall_s": time.perf_counter() - t_start,
            "tuned": args.tuned, "epochs": args.epochs, "train_images": len(tr_f)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data")
    ap.add_argument("--weights", help="torchvision AlexNet state_dict (.pth); random weights if absent")
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--limit", type=int, default=0, help="use only this many training images")
    ap.add_argument("--tuned", action="store_true")
    ap.add_argument("--bare", action="store_true")
    ap.add_argument("--channels-last", action="store_true")
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--device", default="cpu", help="cpu | cuda (bench/gpu.sh)")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(json.dumps(bare_forward(args) if args.bare else train(args)))


if __name__ == "__main__":
    sys.exit(main())
