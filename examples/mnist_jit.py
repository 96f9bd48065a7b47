"""Train the MNIST MLP of examples/mnist_mlp.py with a traced training step (ember.jit).

    python examples/mnist_jit.py [--epochs 5] [--batch-size 64] [--mode jit|eager] [--data-dir DIR]

The training step -- zero_grad, forward, loss, backward, Adam step -- is ordinary eager code
decorated with `@ember.jit.function`. Its first call for each input signature runs it eagerly
while recording one static graph (forward, backward from the same per-op formulas, gradient
accumulation and the fused Adam update); later calls run that graph in C++, one Python call per
step. A graph bakes in the optimizer's hyperparameters and checks them before each run: when the
cosine schedule changes the learning rate, the step is traced again (once per epoch here). The
last, smaller batch of an epoch is another input signature, with graphs of its own. `--mode eager` runs the same code without tracing, for comparison:
both reach the same accuracy (about 97.5-98% after 5 epochs).
"""

from __future__ import annotations

import argparse
import time

import ember
import ember.nn.functional as F
from _data import mnist_root
from ember import nn
from ember.datasets import MNIST
from ember.utils.data import DataLoader

MEAN, STD = 0.1307, 0.3081  # pixel statistics of the MNIST training set


class Net(nn.Module):
    def __init__(self, hidden: int = 128) -> None:
        super().__init__()
        self.fc1 = nn.Linear(28 * 28, hidden)
        self.fc2 = nn.Linear(hidden, 10)

    def forward(self, x: ember.Tensor) -> ember.Tensor:
        x = x.flatten(1)
        x = (x - MEAN) / STD
        return self.fc2(F.relu(self.fc1(x)))


def evaluate(model: nn.Module, loader: DataLoader) -> float:
    model.eval()
    correct = total = 0
    with ember.no_grad():
        for images, labels in loader:
            _, predicted = ember.max(model(images), 1)
            correct += (predicted == labels).sum().item()
            total += labels.shape[0]
    model.train()
    return correct / total


def main(argv: list[str] | None = None) -> float:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--mode", choices=("jit", "eager"), default="jit")
    parser.add_argument(
        "--train-limit",
        type=int,
        default=0,
        help="train on the first N images only (0 = all 60,000)",
    )
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    ember.manual_seed(args.seed)
    root, download = mnist_root(args.data_dir)
    train_set = MNIST(root, train=True, download=download)
    test_set = MNIST(root, train=False, download=download)
    if args.train_limit:
        train_set = ember.utils.data.Subset(train_set, range(args.train_limit))
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True)
    test_loader = DataLoader(test_set, batch_size=1000)

    model = Net(args.hidden)
    criterion = nn.CrossEntropyLoss()
    optimizer = ember.optim.Adam(model.parameters(), lr=args.lr)
    scheduler = ember.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)

    def train_step(images: ember.Tensor, labels: ember.Tensor) -> ember.Tensor:
        optimizer.zero_grad()
        loss = criterion(model(images), labels)
        loss.backward()
        optimizer.step()
        return loss

    step = ember.jit.function(train_step) if args.mode == "jit" else train_step
    print(f"mode: {args.mode}; data: {root} ({len(train_set)} train, {len(test_set)} test images)")

    accuracy = 0.0
    total_seconds = 0.0
    for epoch in range(1, args.epochs + 1):
        t0 = time.perf_counter()
        running, batches = 0.0, 0
        for images, labels in train_loader:
            loss = step(images, labels)
            running += loss.item()
            batches += 1
        seconds = time.perf_counter() - t0
        total_seconds += seconds
        scheduler.step()
        accuracy = evaluate(model, test_loader)
        print(
            f"epoch {epoch}: loss {running / batches:.4f}  test accuracy {accuracy * 100:.2f}%  "
            f"{seconds:.1f} s"
        )
    if args.mode == "jit":
        # One graph per batch shape (the last batch is shorter) and learning rate (the scheduler
        # changes it each epoch, and a graph bakes it in).
        print(f"graphs kept: {len(step.traces)}, one per batch shape and learning rate "
              f"({step.traces[0].graph.num_nodes} nodes each)")
    print(f"final test accuracy: {accuracy * 100:.2f}%  training time {total_seconds:.1f} s")
    return accuracy


if __name__ == "__main__":
    main()
