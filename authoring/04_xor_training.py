# %% [markdown]
# # 04 · Training a network on XOR
#
# XOR is the smallest problem one neuron cannot solve: the points $(0,1)$ and $(1,0)$ are
# class 1, $(0,0)$ and $(1,1)$ class 0, and no straight line separates them. A hidden layer
# can. This notebook first runs a classic XOR program that circulates in tutorials, exactly as published, and reads its
# output honestly, then builds the course's training loop from the pieces of notebooks 01–03:
#
# | § | you write | points |
# |---|---|---|
# | 3 | `init_layers(sizes, rng)` | 2 |
# | 3 | `gradient_descent_step(layers, grads, lr)` | 2 |
# | 3 | `predict(layers, X)` | 1 |
# | 4 | `train(X, y, sizes, lr, epochs, seed)` → `(layers, loss_history)` | 4 |
#
# Then you experiment: learning rates, how often training gets stuck, depth and vanishing
# gradients, the 0.875 regression program's target, mini-batches, and a live trainer.

# %% kind="readonly" grade_id="setup"
import numpy as np

from course import data, widgets
from course.checks import NO_GRADER, call, check_array, check_true
from course.nn import (binary_cross_entropy, binary_cross_entropy_grad, dense_backward, mlp_backward, mlp_forward,
                       relu, relu_backward, sigmoid)

np.set_printoptions(precision=4, suppress=True)
X_xor, y_xor = data.xor()

# %%
import matplotlib.pyplot as plt      # the pictures (not part of the setup: grading draws none)

# %% [markdown]
# ## 1 · The classic XOR program, exactly
#
# The classic XOR program trains a 2-2-1 network on XOR: `np.random.seed(1)`, weights from `np.random.rand`
# (uniform on $[0, 1)$), **no biases**, learning rate 0.1, 10 000 epochs. Below is the same
# program. The only change: `np.random.RandomState(1).rand` instead of seeding NumPy's
# global generator, which draws the very same numbers without touching global state.

# %%
def seed001_xor(epochs=10_000, lr=0.1):
    """The classic XOR program, line for line (its sigmoid_deriv takes the sigmoid's OUTPUT)."""
    sigmoid_001 = lambda x: 1 / (1 + np.exp(-x))
    sigmoid_deriv = lambda x: x * (1 - x)
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    y = np.array([[0], [1], [1], [0]])
    rand = np.random.RandomState(1).rand                 # = np.random.seed(1); np.random.rand
    w1 = rand(2, 2)
    w2 = rand(2, 1)
    for i in range(epochs):
        z1 = np.dot(X, w1)
        a1 = sigmoid_001(z1)
        z2 = np.dot(a1, w2)
        output = sigmoid_001(z2)
        error = y - output
        d_output = error * sigmoid_deriv(output)
        error_hidden = d_output.dot(w2.T)
        d_hidden = error_hidden * sigmoid_deriv(a1)
        w2 += a1.T.dot(d_output) * lr
        w1 += X.T.dot(d_hidden) * lr
    return output, w1, w2

output_001, w1_001, w2_001 = seed001_xor()
print("Final Output after training:\n", output_001.round())
print("unrounded:", output_001.ravel())

# %% [markdown]
# ## 2 · Reading that output honestly
#
# Rounded, it is XOR: $[0, 1, 1, 0]$. Unrounded, it is a network that is barely sure of
# anything: $(1, 1)$ gets $0.399$ and $(0,0)$ gets $0.258$, so a probability of "class 1" of
# 40% and 26% for two points that are certainly class 0, and only 69% for the two that are
# class 1. Three reasons:
#
# * **No biases.** On the input $(0,0)$ every hidden pre-activation is $0$ whatever the
#   weights, so both hidden units output exactly $\sigma(0) = 0.5$, and the output is
#   $\sigma(0.5\,(w_{2,1} + w_{2,2}))$: fixed by the output weights alone, which must also serve
#   the other three points. The network cannot move its decision boundaries freely.
# * **Its loss.** `error * sigmoid_deriv(output)` is the gradient of the squared error
#   $\tfrac12\sum (y - \hat y)^2$ (with the sign flipped: it adds the update), and that gradient
#   carries a factor $\hat y(1 - \hat y)$ that fades as the output saturates. Cross-entropy
#   (notebook 02) has no such factor.
# * **A small learning rate** for a sum over only four points: 10 000 epochs at 0.1 are
#   still early days.
#
# The course's version below adds biases, uses mean binary cross-entropy, draws weights
# from a seeded `np.random.default_rng`, and trains in well under 2 000 epochs.

# %% [markdown]
# ## 3 · The pieces of a training loop
#
# **Initialisation.** Weights must start **random**: if every unit of a layer starts with the
# same weights, every unit gets the same gradient and stays a copy of the others forever
# (*symmetry*). Zeros are the extreme case. A common choice is $W \sim \mathcal N(0, 1/d_{in})$,
# which keeps $Z = XW$ at a sensible scale; biases can start at 0. Draw every random number
# from the generator you are given, `rng.normal(...)`: the same seed then gives the same
# network on every machine, and nothing depends on NumPy's global state.
#
# **A gradient-descent step** moves every parameter against its gradient:
# $W \leftarrow W - \eta\,\partial L/\partial W$, $b \leftarrow b - \eta\,\partial L/\partial b$. Return new arrays;
# do not change the ones you were given.
#
# **Prediction** thresholds the output probability at 0.5.
#
# **Exercise 3.1 (2 + 2 + 1 points).** Write `init_layers(sizes, rng)`,
# `gradient_descent_step(layers, grads, lr)` and `predict(layers, X)`. `sizes` lists the
# units per layer, input first: `[2, 3, 1]` is a 2-3-1 network. `mlp_forward` (notebook 01)
# is imported from `course.nn`.

# %% kind="solution" grade_id="init_layers"
def init_layers(sizes, rng):
    """[(W1, b1), ..., (WL, bL)] for sizes [d0, d1, ..., dL]: Wl (d_(l-1), d_l) random from rng, bl (d_l,)."""
    ### BEGIN SOLUTION
    return [(rng.normal(0.0, 1.0 / np.sqrt(a), size=(a, c)), np.zeros(c)) for a, c in zip(sizes, sizes[1:])]
    ### END SOLUTION

# %% kind="test" grade_id="test_init_layers" points=2
### BEGIN HIDDEN TESTS
try:
    from grader import xor_training as hidden
except ImportError:
    raise AssertionError(NO_GRADER) from None
hidden.check_init_layers(init_layers)
### END HIDDEN TESTS
layers = init_layers([2, 3, 1], np.random.default_rng(0))
check_true(isinstance(layers, list) and len(layers) == 2, what="init_layers([2, 3, 1], rng)", mistake="wrong_return",
           problem="expected a list of two (W, b) pairs")
check_array(np.array([layers[0][0].shape, layers[1][0].shape]), [[2, 3], [3, 1]], integer=True,
            what="init_layers([2, 3, 1], rng): the shapes of W1 and W2", variants=[("transposed", [[3, 2], [1, 3]])])
check_array(np.array([layers[0][1].shape[0], layers[1][1].shape[0]]), [3, 1], integer=True,
            what="init_layers([2, 3, 1], rng): the lengths of b1 and b2")
check_true(not np.allclose(layers[0][0], layers[0][0][:, :1]), what="init_layers: W1", mistake="zero_init",
           problem="all hidden units start with the same weights")
again = init_layers([2, 3, 1], np.random.default_rng(0))
check_true(np.array_equal(layers[0][0], again[0][0]), what="init_layers with the same seed twice",
           mistake="not_reproducible", problem="two generators with the same seed gave different weights")
print("✓ init_layers")

# %% kind="solution" grade_id="gradient_descent_step"
def gradient_descent_step(layers, grads, lr):
    """New layers [(W - lr*dW, b - lr*db), ...]; `layers` and `grads` are left unchanged."""
    ### BEGIN SOLUTION
    return [(W - lr * dW, b - lr * db) for (W, b), (dW, db) in zip(layers, grads)]
    ### END SOLUTION

# %% kind="test" grade_id="test_gradient_descent_step" points=2
### BEGIN HIDDEN TESTS
try:
    from grader import xor_training as hidden
except ImportError:
    raise AssertionError(NO_GRADER) from None
hidden.check_gradient_descent_step(gradient_descent_step)
### END HIDDEN TESTS
layers = [(np.array([[1.0, 2.0]]), np.array([0.5, -0.5]))]
grads = [(np.array([[0.1, -0.2]]), np.array([1.0, 2.0]))]
new, _ = call(gradient_descent_step, layers, grads, 0.5, what="gradient_descent_step(layers, grads, 0.5)")
check_array(new[0][0], [[0.95, 2.1]], what="gradient_descent_step: W", variants=[("wrong_sign", [[1.05, 1.9]])])
check_array(new[0][1], [0.0, -1.5], what="gradient_descent_step: b",
            variants=[("bias_not_updated", [0.5, -0.5]), ("wrong_sign", [1.0, 0.5])])
print("✓ gradient_descent_step")

# %% kind="solution" grade_id="predict"
def predict(layers, X):
    """Labels 0/1 as integers, shape (n, k): 1 where the network's output is above 0.5."""
    ### BEGIN SOLUTION
    return (mlp_forward(X, layers)[-1] > 0.5).astype(int)
    ### END SOLUTION

# %% kind="test" grade_id="test_predict" points=1
### BEGIN HIDDEN TESTS
try:
    from grader import xor_training as hidden
except ImportError:
    raise AssertionError(NO_GRADER) from None
hidden.check_predict(predict)
### END HIDDEN TESTS
layers = [(np.array([[2.0], [-3.0]]), np.array([0.5]))]        # z = 2 x1 - 3 x2 + 0.5
X = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0], [0.1, 0.3]])  # z = 2.5, -2.5, 0.5, -0.2
check_array(predict(layers, X), [[1], [0], [1], [0]], what="predict on a one-neuron network", integer=True,
            variants=[("predict_probabilities", sigmoid(X @ layers[0][0] + layers[0][1])),
                      ("threshold_not_half", [[1], [0], [0], [0]])])
print("✓ predict")

# %% [markdown]
# ## 4 · The training loop
#
# One **epoch** here is one full-batch step: forward pass (`mlp_forward`), loss (mean binary
# cross-entropy, notebook 02), backward pass (`mlp_backward`, notebook 03, started from the
# gradient of the loss with respect to the output probabilities), update
# (`gradient_descent_step`). Record each epoch's loss **before** its update, so
# `loss_history[0]` is the loss of the initial network. Make the generator with
# `np.random.default_rng(seed)` and hand it to `init_layers`: the same seed must give the
# same run. All four library functions come from `course.nn`, the reference versions of
# what notebooks 01–03 had you write.
#
# **Exercise 4.1 (4 points).** Write `train(X, y, sizes, lr, epochs, seed)` returning
# `(layers, loss_history)`, all layers sigmoid.

# %% kind="solution" grade_id="train"
def train(X, y, sizes, lr, epochs, seed):
    """Full-batch gradient descent on mean binary cross-entropy for an all-sigmoid MLP.

    X (n, d0), y (n, dL) labels 0/1, sizes [d0, ..., dL], lr > 0, epochs >= 1, seed an int.
    Returns (layers, loss_history): trained [(W, b), ...] and a list of `epochs` floats.
    """
    ### BEGIN SOLUTION
    layers = init_layers(sizes, np.random.default_rng(seed))
    history = []
    for _ in range(epochs):
        activations = mlp_forward(X, layers)
        history.append(binary_cross_entropy(y, activations[-1]))
        grads = mlp_backward(activations, layers, binary_cross_entropy_grad(y, activations[-1]))
        layers = gradient_descent_step(layers, grads, lr)
    return layers, history
    ### END SOLUTION

# %% kind="test" grade_id="test_train" points=4
### BEGIN HIDDEN TESTS
try:
    from grader import xor_training as hidden
except ImportError:
    raise AssertionError(NO_GRADER) from None
hidden.check_train(train, init_layers)
### END HIDDEN TESTS
trained, history = train(X_xor, y_xor, [2, 8, 1], 5.0, 1500, seed=0)
check_true(len(history) == 1500, what="train(..., epochs=1500)", mistake="history_wrong_length",
           problem=f"expected 1500 losses, got {len(history)}")
check_true(history[-1] < history[0], what="train on XOR", mistake="wrong_sign",
           problem=f"the loss rose from {history[0]:.4f} to {history[-1]:.4f}")
check_array(predict(trained, X_xor), y_xor.astype(int), what="predict after train([2, 8, 1], lr=5, 1500 epochs)",
            integer=True)
_, history_again = train(X_xor, y_xor, [2, 8, 1], 5.0, 1500, seed=0)
check_true(np.allclose(history, history_again), what="train twice with seed 0", mistake="not_reproducible",
           problem="two runs with the same seed gave different loss histories")
print(f"✓ train: loss {history[0]:.3f} -> {history[-1]:.5f}, XOR solved, reproducible")

# %% [markdown]
# ## 5 · The course's XOR next to the classic program's
#
# Same architecture size (2-3-1 here, with biases), mean cross-entropy, 1 500 epochs:

# %%
layers_xor, history_xor = train(X_xor, y_xor, [2, 3, 1], lr=5.0, epochs=1500, seed=0)
ours = mlp_forward(X_xor, layers_xor)[-1].ravel()
print("input      classic    course")
for x, theirs, mine in zip(X_xor, output_001.ravel(), ours):
    print(f"{x}   {theirs:.3f}      {mine:.3f}")
print(f"worst distance from the right label: classic program {np.max(np.abs(output_001.ravel() - y_xor.ravel())):.3f}, "
      f"course {np.max(np.abs(ours - y_xor.ravel())):.3f}")

# %% [markdown]
# ## 6 · Learning rate: too small, about right, too large
#
# Same network, same seed, three learning rates. Too small and the loss creeps; about
# right and it drops in a few hundred epochs; too large and the steps overshoot: the loss
# jumps around, and saturated sigmoids can freeze the network in a bad state.

# %%
fig, axes = plt.subplots(1, 3, figsize=(11, 3), sharey=True)
for ax, lr in zip(axes, (0.05, 5.0, 200.0)):
    _, h = train(X_xor, y_xor, [2, 3, 1], lr=lr, epochs=1000, seed=0)
    ax.semilogy(h)
    ax.set(title=f"lr = {lr:g}: final loss {h[-1]:.3g}", xlabel="epoch")
axes[0].set_ylabel("binary cross-entropy")
plt.show()

# %% [markdown]
# ## 7 · How often does training get stuck?
#
# Twenty seeds for each of 2, 3 and 8 hidden units, 500 epochs at learning rate 5. A run
# "solves" XOR when all four predictions are right.

# %%
solved = {}
for hidden_units in (2, 3, 8):
    runs = [train(X_xor, y_xor, [2, hidden_units, 1], lr=5.0, epochs=500, seed=s)[0] for s in range(20)]
    solved[hidden_units] = sum(np.all(predict(layers, X_xor) == y_xor) for layers in runs)
    print(f"{hidden_units} hidden units: {solved[hidden_units]}/20 seeds solve XOR")

# %% [markdown]
# With 2 hidden units — the minimum XOR needs — some seeds get stuck: the two units have
# to carve out the two lines of the XOR pattern between them, and from some starting points
# gradient descent settles in a **local minimum** where one unit does a useless job (often
# the loss plateaus near $\log 2 \approx 0.69$ times the share of points it cannot fix), or the
# sigmoids saturate and the gradients vanish. More units give more ways to reach a
# solution; that *over-parameterisation* is one reason larger networks train more reliably.

# %% [markdown]
# ## 8 · Depth and vanishing gradients (the 0.875 regression program's limitation)
#
# The 0.875 regression program's notes list vanishing gradients among backprop's limitations. Here it is, measured:
# a 10-layer network of width 16, one batch, and the size of each layer's weight gradient,
# for sigmoid everywhere (`mlp_backward`) and for ReLU hidden layers (a sigmoid output,
# backpropagated with `relu_backward` and `dense_backward`). Weights are scaled for each
# activation ($1/\sqrt{d}$ for sigmoid, $\sqrt{2/d}$ for ReLU, the usual choices).

# %%
rng = np.random.default_rng(5)
depth, width = 10, 16
X_deep = rng.normal(size=(64, width))
y_deep = rng.integers(0, 2, size=(64, 1)).astype(float)

def deep_net(scale):
    net = [(rng.normal(0, scale, size=(width, width)), np.zeros(width)) for _ in range(depth - 1)]
    return net + [(rng.normal(0, scale, size=(width, 1)), np.zeros(1))]

sig_net = deep_net(1 / np.sqrt(width))
acts = mlp_forward(X_deep, sig_net)
sig_norms = [np.linalg.norm(dW) for dW, _ in mlp_backward(acts, sig_net, binary_cross_entropy_grad(y_deep, acts[-1]))]

relu_net = deep_net(np.sqrt(2 / width))
A, Zs, inputs = X_deep, [], []
for l, (W, b) in enumerate(relu_net):
    inputs.append(A)
    Z = A @ W + b
    Zs.append(Z)
    A = sigmoid(Z) if l == depth - 1 else relu(Z)
dZ = (A - y_deep) / y_deep.size                       # sigmoid output + cross-entropy
relu_norms = []
for l in reversed(range(depth)):
    dA, dW, _ = dense_backward(dZ, inputs[l], relu_net[l][0])
    relu_norms.append(np.linalg.norm(dW))
    if l > 0:
        dZ = relu_backward(dA, Zs[l - 1])
relu_norms = relu_norms[::-1]

fig, ax = plt.subplots(figsize=(6, 3))
ax.semilogy(range(1, depth + 1), sig_norms, "o-", label="sigmoid")
ax.semilogy(range(1, depth + 1), relu_norms, "s-", label="ReLU")
ax.set(xlabel="layer (1 = nearest the input)", ylabel="‖dW‖", title="gradient size per layer")
ax.legend()
plt.show()
print(f"last/first layer gradient: sigmoid {sig_norms[-1] / sig_norms[0]:.0f}x, ReLU {relu_norms[-1] / relu_norms[0]:.1f}x")

# %% [markdown]
# The sigmoid network's first layers get gradients orders of magnitude smaller than its
# last: each sigmoid multiplies by at most ¼. ReLU passes gradients through active units
# with slope 1, so its layers learn at comparable speeds. Deep networks use ReLU-like
# activations for this reason.

# %% [markdown]
# ## 9 · The 0.875 regression program's 2-2-2-1 network
#
# The 0.875 regression program trains a 2-2-2-1 sigmoid network on one sample, $x = (0.6, 0.4)$, target
# $0.875$, with the ½·sum squared error (so $\partial L/\partial\hat y = \hat y - y$), learning
# rate 0.5, 501 epochs, logging every 20. Its weights come from `np.random.randn` without a
# seed, so its exact numbers cannot be reproduced; here the same algorithm starts from a
# seeded draw, with your `gradient_descent_step` doing the updates. (Its loop prints
# the prediction *before* each epoch's update, as here.)

# %%
X3, Y3 = np.array([[0.6, 0.4]]), np.array([[0.875]])
rng = np.random.default_rng(2024)
net3 = [(rng.standard_normal((2, 2)), rng.standard_normal(2)), (rng.standard_normal((2, 2)), rng.standard_normal(2)),
        (rng.standard_normal((2, 1)), rng.standard_normal(1))]
for epoch in range(501):
    acts3 = mlp_forward(X3, net3)
    pred = acts3[-1]
    if epoch % 20 == 0:
        print(f"Epoch: {epoch}, Prediction: {pred}, Loss: {0.5 * np.square(pred - Y3).sum():.6f}")
    net3 = gradient_descent_step(net3, mlp_backward(acts3, net3, pred - Y3), 0.5)

# %% [markdown]
# Like the program's log, the prediction climbs towards 0.875 and the loss falls below $10^{-6}$
# by epoch 500. One sample and one target: this network memorises a number, which is all the
# program's example asks of it.

# %% [markdown]
# ## 10 · Full batch or mini-batches
#
# On XOR's four points every epoch can use them all. Real data sets are larger; a
# **mini-batch** step uses a random subset, so one pass over the data (an epoch) makes many
# cheaper, noisier steps. Here: 256 noisy XOR points (`course.data.make_xor_cloud`), a 2-8-1
# network, full batch against batches of 16, the same number of epochs.

# %%
X_cloud, y_cloud = data.make_xor_cloud(256, seed=1)

def fit(batch_size, epochs=60, lr=2.0, seed=0):
    rng = np.random.default_rng(seed)
    layers = init_layers([2, 8, 1], rng)
    losses = []
    for _ in range(epochs):
        order = rng.permutation(len(X_cloud))
        for start in range(0, len(X_cloud), batch_size):
            rows = order[start:start + batch_size]
            acts = mlp_forward(X_cloud[rows], layers)
            grads = mlp_backward(acts, layers, binary_cross_entropy_grad(y_cloud[rows], acts[-1]))
            layers = gradient_descent_step(layers, grads, lr)
        losses.append(binary_cross_entropy(y_cloud, mlp_forward(X_cloud, layers)[-1]))
    return losses, len(X_cloud) // batch_size * epochs

fig, ax = plt.subplots(figsize=(6, 3))
for batch_size in (256, 16):
    losses, steps = fit(batch_size)
    ax.plot(range(1, 61), losses, label=f"batch {batch_size} ({steps} steps)")
ax.set(xlabel="epoch", ylabel="loss on all 256 points", yscale="log", title="same epochs, different step counts")
ax.legend()
plt.show()

# %% [markdown]
# Per epoch, mini-batches make 16 times as many updates and get far lower, at a similar
# cost per epoch (each step uses fewer points). The price is noise: the loss wiggles, and a
# learning rate that is safe for the full batch can be too large for a small one.

# %% [markdown]
# ## 11 · The XOR trainer
#
# Pick a learning rate (log scale), hidden units, epochs and a seed, and press **Train**:
# your `train` runs (in ten growing pieces, so you watch it learn), your `predict` scores
# it, and the right panel shows the network's output over the plane with XOR's four points.
# Find a seed where 2 hidden units get stuck; then give it 3.

# %%
widgets.xor_trainer(train, predict, mlp_forward)

# %% [markdown]
# ## Summary
#
# * The classic program's output rounds to XOR but is unsure (26–69%): no biases, a fading squared-error
#   gradient and a small learning rate. Biases and cross-entropy fix it.
# * A training loop is four calls: forward, loss, backward, step. Random, seeded initialisation
#   breaks symmetry and makes runs reproducible.
# * The learning rate decides between crawling and chaos; extra hidden units make getting
#   stuck rarer; sigmoid stacks starve their first layers of gradient, ReLU does not.
#
# Next, **05 · Fine-tuning**: start from a network someone else trained.
