#!/usr/bin/python3
"""The seed's recipe (bench/seed_train.py) with SqueezeNet 1.1, in PyTorch, on a catdog run's own
split: the reference the squeezenet1_1 training test is held to.

torchvision's squeezenet1_1 with the given weights, every parameter frozen, classifier[1]
replaced by Conv2d(512, classes, 1) (torchvision's fine-tuning tutorial), the whole model in
train() (classifier.0's dropout active), batch 64 shuffled, Adam(1e-3) on the new conv,
StepLR(1, 0.5), CrossEntropyLoss; training transform ToPILImage -> Resize(256) ->
RandomCrop(224) -> RandomHorizontalFlip -> ToTensor -> Normalize, validation Resize(256) ->
CenterCrop(224). Prints one JSON line: {"val_acc", "val_acc_per_epoch", "train_img_s", ...}.

Usage: seed_recipe_torch.py --split RUN/split.json --data DATA_DIR --weights squeezenet1_1.pth
       [--epochs 2] [--seed 0] [--threads N]
"""
import argparse, json, os, time

import numpy as np
import torch
import torch.nn as nn
import torchvision
from PIL import Image
from torch.utils.data import DataLoader, Dataset
from torchvision import transforms

MEAN, STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]


class Files(Dataset):
    def __init__(self, items, tf):
        self.items, self.tf = items, tf

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        path, label = self.items[i]
        return self.tf(np.asarray(Image.open(path).convert("RGB"))), label


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--split", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--weights", required=True)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=0)
    a = ap.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    split = json.load(open(a.split))
    full = lambda items: [(os.path.join(a.data, x["file"]), x["label"]) for x in items]
    train_items, val_items = full(split["train"]), full(split["val"])
    classes = len(split["labels"])
    train_tf = transforms.Compose([transforms.ToPILImage(), transforms.Resize(256), transforms.RandomCrop(224),
                                   transforms.RandomHorizontalFlip(), transforms.ToTensor(),
                                   transforms.Normalize(MEAN, STD)])
    val_tf = transforms.Compose([transforms.ToPILImage(), transforms.Resize(256), transforms.CenterCrop(224),
                                 transforms.ToTensor(), transforms.Normalize(MEAN, STD)])
    tl = DataLoader(Files(train_items, train_tf), batch_size=64, shuffle=True, num_workers=0)
    vl = DataLoader(Files(val_items, val_tf), batch_size=64, shuffle=False, num_workers=0)

    model = torchvision.models.squeezenet1_1()
    model.load_state_dict(torch.load(a.weights))
    for p in model.parameters():
        p.requires_grad = False
    model.classifier[1] = nn.Conv2d(512, classes, kernel_size=1)
    opt = torch.optim.Adam(model.classifier[1].parameters(), lr=1e-3)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    loss_fn = nn.CrossEntropyLoss()
    accs, train_time, seen = [], 0.0, 0
    for _ in range(a.epochs):
        model.train()
        t0 = time.perf_counter()
        for x, y in tl:
            opt.zero_grad()
            loss_fn(model(x), y).backward()
            opt.step()
            seen += len(y)
        train_time += time.perf_counter() - t0
        sched.step()
        model.eval()
        correct = 0
        with torch.no_grad():
            for x, y in vl:
                correct += (model(x).argmax(1) == y).sum().item()
        accs.append(correct / len(val_items))
    print(json.dumps({"val_acc": accs[-1], "val_acc_per_epoch": accs, "train_img_s": seen / train_time,
                      "train_images": len(train_items), "val_images": len(val_items), "epochs": a.epochs,
                      "seed": a.seed, "torch": torch.__version__, "torchvision": torchvision.__version__}))


if __name__ == "__main__":
    main()
