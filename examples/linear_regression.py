"""Linear regression y = w x + b by plain gradient descent with ember autograd.

Minimises the mean squared error cost

    J(w, b) = 1/(2m) * sum_i (y_i - (w x_i + b))^2

over m synthetic points y = 3 x + 2 + noise (fixed seed). Each step computes J, calls
``backward()`` for dJ/dw and dJ/db, updates the parameters under ``ember.no_grad()`` and zeroes
their gradients. Prints the cost every ``--print-every`` steps and the learned w and b.

    python examples/linear_regression.py [--steps 300] [--lr 0.5]
"""

from __future__ import annotations

import argparse

import ember

TRUE_W, TRUE_B = 3.0, 2.0


def make_data(m: int, noise: float, seed: int) -> tuple[ember.Tensor, ember.Tensor]:
    """m points with x uniform in [-1, 1) and y = TRUE_W x + TRUE_B + noise * N(0, 1)."""
    g = ember.Generator()
    g.manual_seed(seed)
    x = ember.rand(m, generator=g) * 2 - 1
    y = TRUE_W * x + TRUE_B + noise * ember.randn(m, generator=g)
    return x, y


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--m", type=int, default=10000, help="number of data points")
    parser.add_argument("--noise", type=float, default=0.1, help="std of the label noise")
    parser.add_argument("--steps", type=int, default=300, help="gradient descent steps")
    parser.add_argument("--lr", type=float, default=0.5, help="learning rate per step")
    parser.add_argument("--print-every", type=int, default=25)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    x, y = make_data(args.m, args.noise, args.seed)
    w = ember.zeros(1, requires_grad=True)
    b = ember.zeros(1, requires_grad=True)

    for step in range(args.steps + 1):
        y_hat = w * x + b
        cost = ((y - y_hat) ** 2).sum() / (2 * args.m)
        if step % args.print_every == 0 or step == args.steps:
            print(f"step {step:5d}  cost {cost.item():.6f}")
        if step == args.steps:
            break
        cost.backward()
        with ember.no_grad():
            w.sub_(args.lr * w.grad)
            b.sub_(args.lr * b.grad)
        w.grad.zero_()
        b.grad.zero_()

    print(f"learned w = {w.item():.4f}  (true {TRUE_W})")
    print(f"learned b = {b.item():.4f}  (true {TRUE_B})")


if __name__ == "__main__":
    main()
