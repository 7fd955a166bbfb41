# %% [markdown]
# # 05 · Fine-tuning a pretrained network
#
# The pneumonia screening workflow: a hospital wants a pneumonia detector, but has only a few
# labelled X-rays of its own. Training a network from nothing on so little data overfits.
# Instead, start from a network **pretrained** on a large archive, **freeze** it, add a new
# **head**, train only the head on the hospital's images, then **unfreeze** and fine-tune
# everything gently with Adam, and finally **deploy**: save, load, predict, and choose a
# decision threshold that misses few sick patients.
#
# Everything here runs offline. The images are **synthetic** chest-X-ray-like pictures
# (`course.xray`, 16 × 16 pixels; no patient data), and the pretrained base is a file that
# ships with the course, made by `python tools/pretrain_base.py` (its record is in
# `course/assets/xray_base.json`).
#
# | § | you write | points |
# |---|---|---|
# | 3 | `adam_step(param, grad, m, v, t, ...)` | 3 |
# | 4 | `add_head(base, rng)` | 1 |
# | 4 | `fit(model, X, y, lr, epochs)` | 4 |
# | 7 | `binary_metrics(y_true, y_pred)` | 2 |
# | 7 | `threshold_for_sensitivity(y_true, p, target)` | 2 |
#
# **Time.** Plan for about 2.5 hours: reading, the exercises, and the experiments.

# %% kind="readonly" grade_id="setup"
import os
import tempfile

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")   # small matrices: one thread is many times faster
import numpy as np

from course import plots, transfer, widgets, xray
from course.checks import NO_GRADER, call, check_array, check_true, run, using_your_code
# earlier notebooks' functions, worked versions in the modules beside this notebook
import layers                                                               # built from notebooks 01 and 03's
from layers import Dense, ReLU, Sequential, Sigmoid, load_base, load_model
from loss_functions import binary_cross_entropy, binary_cross_entropy_grad  # notebook 02's
from xor_training import momentum_step, rmsprop_step                        # notebook 04's

np.set_printoptions(precision=4, suppress=True)

# %%
import matplotlib.pyplot as plt      # the pictures (not part of the setup: grading draws none)

# %% [markdown]
# ## 1 · Two hospitals' worth of images
#
# The **base** archive (scanner A) has thousands of images in four classes: normal,
# pneumonia (soft cloudy patches in a lung), effusion (fluid at the bottom of a lung) and
# nodule (a small bright spot). **Your hospital** (scanner B) has pneumonia or not, and its
# scanner differs: flatter contrast, a brighter background, more noise, a little blur, the
# patient a pixel lower. That difference between the data a model learned on and the data
# it meets is a **domain shift**.
#
# The hospital's labelled images come in three sets, each with one job. The **training** set
# (30 images) is what the network learns from. The **validation** set (200 images) is where
# we compare strategies and choose every setting: learning rates, epochs, which strategy,
# the decision threshold. The **test** set (600 images) is touched once, at the
# very end, to report how the final choice does on images nothing was chosen on. (Choosing
# on the test set would make its score optimistic: it would no longer be a fresh sample.)

# %% kind="readonly" grade_id="hospital_data"
X_base, y_base = xray.base_dataset(8, seed=5)
splits = xray.hospital_splits(30, seed=0)
X_train, y_train = splits["train"]
X_val, y_val = splits["val"]
X_test, y_test = splits["test"]
print("hospital: train", X_train.shape, " validation", X_val.shape, " test", X_test.shape)
print(f"pneumonia share: training {y_train.mean():.3f}, validation {y_val.mean():.3f} (the test labels wait for the end)")

# %%
fig, axes = plt.subplots(2, 8, figsize=(12, 3.4))
for ax, x, label in zip(axes[0], X_base, y_base):
    ax.imshow(x.reshape(16, 16), cmap="gray", vmin=0, vmax=1)
    ax.set_title(f"A: {xray.CLASSES[label]}", fontsize=10)
for ax, x, label in zip(axes[1], X_train, y_train.ravel()):
    ax.imshow(x.reshape(16, 16), cmap="gray", vmin=0, vmax=1)
    ax.set_title(f"B: {'pneumonia' if label else 'no pneumonia'}", fontsize=10)
for ax in axes.ravel():
    ax.axis("off")
plots.show(fig, alt="Eight 16x16 X-ray images from the base's dataset A (top row) and eight from your "
                    "hospital's dataset B (bottom row), each titled with its label.")

# %% [markdown]
# ## 2 · The building blocks, and the pretrained base
#
# `layers.py`, beside this notebook, packages what notebooks 01–03 had you write: `Dense`
# (its forward is `dense_forward`, its backward `dense_backward`), `ReLU` and `Sigmoid` (with
# `relu_backward`, `sigmoid_backward`), and `Sequential`, which runs layers in order:
#
# * `model.forward(X)` returns the output and remembers what the backward pass needs;
# * `model.backward(d_out)` fills every `Dense` layer's `grads` (`{"W": ..., "b": ...}`);
# * `model.parameters()` lists `(key, layer, name)` for the parameters of **trainable**
#   layers; `layer.trainable = False`, or `model.freeze()`, takes a layer out of it;
# * `model.save(path)` and `load_model(path)` write and read an `.npz` file.
#
# The base is `Dense(256, 64) → ReLU → Dense(64, 32) → ReLU`: it turns an image into 32
# features. It was pretrained with a 4-class head that was then thrown away.

# %%
import json

base = load_base()
print([type(layer).__name__ for layer in base.layers], "->", base.forward(X_train).shape)
record = json.load(open(os.path.join(os.path.dirname(xray.__file__), "assets", "xray_base.json")))
print("pretrained on", record["data"].split(";")[0].removeprefix("course.xray.base_dataset: "))
print(f"training: {record['training']}; accuracy on its 4-class test set: {record['test_accuracy_4_classes']}")

# %% [markdown]
# ## 3 · Adam
#
# The screening workflow fine-tunes with `Adam(1e-5)`. Adam is notebook 04's two optimisers in
# one, plus a correction. For every parameter it keeps
#
# * **momentum's** running average of the gradients, $m$ (in the averaged convention of 04,
#   with weight $1-\beta_1$ on the new gradient): it carries speed along a valley's floor;
# * **RMSProp's** running average of the squared gradients, $v$: dividing by $\sqrt v$ gives
#   each weight its own step size;
# * and a **bias correction** for both, because both start at 0.
#
# In formulas:
#
# $$m \leftarrow \beta_1 m + (1-\beta_1) g, \qquad v \leftarrow \beta_2 v + (1-\beta_2) g^2,$$
# $$\hat m = \frac{m}{1-\beta_1^t}, \qquad \hat v = \frac{v}{1-\beta_2^t}, \qquad
# \theta \leftarrow \theta - \eta\,\frac{\hat m}{\sqrt{\hat v} + \varepsilon}.$$
#
# $m$ and $v$ start at 0, so for small $t$ they are biased towards 0; dividing by
# $1 - \beta^t$ (the **bias correction**) undoes that. $t$ counts steps **from 1**: with
# $t = 0$ the correction divides by zero. On the first step, $\hat m = g$ and $\hat v = g^2$,
# so every parameter moves by about $\eta$, whatever its gradient's scale.
#
# **Exercise 3.1 (3 points).** Write `adam_step` from the formulas above (04's `momentum_step`
# and `rmsprop_step` are not part of this notebook, and Adam's $m$ is an average, not 04's
# momentum). Return new arrays `(param, m, v)`; change nothing in place.

# %% kind="solution" grade_id="adam_step"
def adam_step(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """One Adam step.

    param, grad: arrays of the same shape; m, v: the moment estimates so far (arrays of that
    shape, or 0.0 before the first step); t: the step number, from 1; lr, beta1, beta2, eps:
    the hyper-parameters. Returns new arrays (param, m, v) of param's shape; changes nothing
    in place."""
    ### BEGIN SOLUTION
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad ** 2
    m_hat = m / (1 - beta1 ** t)
    v_hat = v / (1 - beta2 ** t)
    return param - lr * m_hat / (np.sqrt(v_hat) + eps), m, v
    ### END SOLUTION

# %% kind="test" grade_id="test_adam_step" points=3
### BEGIN HIDDEN TESTS
try:
    from grader import fine_tuning as hidden
except ImportError:
    raise AssertionError(NO_GRADER) from None
hidden.check_adam_step(adam_step)
### END HIDDEN TESTS
param, grad = np.array([1.0, -2.0]), np.array([0.5, -4.0])
got, _ = call(adam_step, param, grad, 0.0, 0.0, 1, lr=0.1, what="adam_step, first step (t = 1)")
check_true(isinstance(got, tuple) and len(got) == 3, what="adam_step", mistake="wrong_return",
           problem="expected the tuple (param, m, v)")
check_array(got[1], [0.05, -0.4], what="adam_step, first step: m", variants=[("adam_m_unaveraged", [0.5, -4.0])])
check_array(got[2], [0.00025, 0.016], what="adam_step, first step: v", nonfinite="adam_v_not_squared",
            variants=[("adam_v_not_squared", [0.0005, -0.004])])
check_array(got[0], [0.9, -1.9], what="adam_step, first step: param moves by lr against the gradient's sign",
            atol=1e-6, nonfinite="adam_t_from_zero",
            variants=[("adam_no_bias_correction", [1 - 0.1 * 0.05 / np.sqrt(0.00025), -2 + 0.1 * 0.4 / np.sqrt(0.016)]),
                      ("wrong_sign", [1.1, -2.1])])
print("✓ adam_step")

# %% [markdown]
# **The race, with Adam.** Notebook 04's optimiser race on its long, narrow valley
# ($f = \tfrac12(0.1\,x^2 + 10\,y^2)$, from $(-4, 1)$), now with your `adam_step` (its default
# $\beta_1 = 0.9$, $\beta_2 = 0.999$) next to plain gradient descent, momentum and RMSProp
# (`xor_training.py`, beside this notebook: the worked versions of 04's two exercises). At learning rate 0.15,
# 100 steps:

# %%
from course import race

with using_your_code():
    paths = race.race(race.steppers(momentum_step, rmsprop_step, adam_step), 0.15, 0.9, 100)
    for name, (points, losses) in paths.items():
        print(f"{name:8s} ends at ({points[-1, 0]:.2f}, {points[-1, 1]:.2f}), loss {losses[-1]:.2g}; largest |y| "
              f"over its last 20 steps {np.max(np.abs(points[-20:, 1])):.3f}")

# %% [markdown]
# Adam starts like RMSProp: its first steps are about the learning rate long in both
# directions, so it heads straight for the valley's floor instead of creeping along it. Its
# momentum then does what RMSProp alone cannot: RMSProp is still hopping across the valley
# (its $|y|$ reaches 0.17 over the last 20 steps, loss 0.04), while Adam has settled (0.011,
# loss $5.3 \times 10^{-6}$, about momentum's $6.3 \times 10^{-6}$). Move the learning rate,
# and compare how far each optimiser can go before it breaks.

# %%
widgets.optimiser_race(momentum_step, rmsprop_step, adam_step)

# %% [markdown]
# ## 4 · Freeze, add a head, train the head
#
# **A new head.** The base outputs 32 features; for pneumonia-or-not, put a `Dense(32, 1)`
# and a `Sigmoid` on top. **Freezing** the base means the optimiser leaves it alone: its
# 18 528 pretrained weights stay as they are, and only the head's 33 are learned from the
# hospital's 30 images. (Gradients still flow through frozen layers; they just are not
# applied.)
#
# **Exercise 4.1 (1 point).** Write `add_head(base, rng)`: freeze `base` and return a
# `Sequential` of the base's own layers followed by a new `Dense(d, 1, rng)` and a `Sigmoid()`,
# where `d` is the base's output size.
#
# **Exercise 4.2 (4 points).** Write `fit(model, X, y, lr, epochs)`: full-batch training on
# mean binary cross-entropy with **your** `adam_step`. Each epoch: forward, record the loss
# (before the update), backward from `binary_cross_entropy_grad`, then one Adam step for
# every parameter in `model.parameters()`, keeping each one's `m` and `v` under its key
# between epochs; `t` is the epoch number, from 1. Return the list of losses. Frozen layers
# must not move.

# %% kind="solution" grade_id="add_head"
def add_head(base, rng):
    """base: a Sequential ending in d features; rng: a numpy Generator for the new weights.
    Freezes base's layers and returns a new Sequential that starts with them (the same
    objects) and maps (n, 256) images to (n, 1) probabilities through a new trainable head."""
    ### BEGIN SOLUTION
    base.freeze()
    d = [layer for layer in base.layers if layer.params][-1].params["W"].shape[1]
    return Sequential(base.layers + [Dense(d, 1, rng), Sigmoid()])
    ### END SOLUTION

# %% kind="test" grade_id="test_add_head" points=1
### BEGIN HIDDEN TESTS
try:
    from grader import fine_tuning as hidden
except ImportError:
    raise AssertionError(NO_GRADER) from None
hidden.check_add_head(add_head)
### END HIDDEN TESTS
model = run(add_head, load_base(), np.random.default_rng(0))
check_true(isinstance(model, Sequential) and len(model.layers) == 6, what="add_head(load_base(), rng)",
           mistake="wrong_return", problem="expected a Sequential of the 4 base layers, a Dense and a Sigmoid")
check_true([layer.trainable for layer in model.layers if layer.params] == [False, False, True],
           what="add_head: which layers train", mistake="frozen_changed",
           problem="the base's two Dense layers must be frozen and the head's trainable")
check_array(model.forward(X_train).shape, (30, 1), what="add_head: output shape for 30 images", integer=True)
print("✓ add_head")

# %% kind="solution" grade_id="fit"
def fit(model, X, y, lr, epochs):
    """model: a Sequential; X: (n, d) inputs; y: (n, 1) labels 0/1; lr: Adam's learning rate;
    epochs: how many full-batch steps. Trains model's trainable parameters in place and
    returns a list of `epochs` floats: the mean binary cross-entropy of each epoch."""
    ### BEGIN SOLUTION
    state = {}
    history = []
    for t in range(1, epochs + 1):
        p = model.forward(X)
        history.append(binary_cross_entropy(y, p))
        model.backward(binary_cross_entropy_grad(y, p))
        for key, layer, name in model.parameters():
            m, v = state.get(key, (0.0, 0.0))
            layer.params[name], m, v = adam_step(layer.params[name], layer.grads[name], m, v, t, lr)
            state[key] = (m, v)
    return history
    ### END SOLUTION

# %% kind="test" grade_id="test_fit" points=4
### BEGIN HIDDEN TESTS
try:
    from grader import fine_tuning as hidden
except ImportError:
    raise AssertionError(NO_GRADER) from None
hidden.check_fit(fit, adam_step)
### END HIDDEN TESTS
model = run(add_head, load_base(), np.random.default_rng(0))
frozen_before = model.layers[0].params["W"].copy()
head_before = model.layers[4].params["W"].copy()
history = run(fit, model, X_train, y_train, 1e-2, 50)
check_true(len(history) == 50, what="fit(..., epochs=50)", mistake="history_wrong_length",
           problem=f"expected 50 losses, got {len(history)}")
check_true(np.array_equal(model.layers[0].params["W"], frozen_before), what="fit on a model with a frozen base",
           mistake="frozen_changed", problem="the frozen base's first weight matrix changed")
check_true(bool(np.all(np.isfinite(np.asarray(history, dtype=float)))), what="fit(..., epochs=50): the loss history",
           mistake="adam_t_from_zero", problem="the losses hold NaN or inf")
check_true(not np.array_equal(model.layers[4].params["W"], head_before), what="fit", mistake="weights_not_updated",
           problem="the head's weights did not change")
check_array(np.asarray(history, dtype=float)[[0, 1, 49]], [0.503422, 0.49397, 0.270377], rtol=1e-4,
            what="fit(model, X_train, y_train, 0.01, 50): the losses of epochs 1, 2 and 50",
            variants=[("adam_state_reset", [0.503422, 0.49397, 0.264297]),
                      ("adam_state_reset", [0.503422, 0.49397, 0.320727]),
                      ("history_after_update", [0.49397, 0.485037, 0.268487])])
print(f"✓ fit: loss {history[0]:.3f} -> {history[-1]:.3f}, base untouched")

# %% [markdown]
# Now the flow, step by step, on the hospital's 30 training images, with a first guess at the
# settings: train the head (300 epochs at learning rate 0.01), then unfreeze and fine-tune
# everything gently ($10^{-4}$ for 100 epochs, the spirit of the workflow's `Adam(1e-5)`; our
# network and data are small, so a little larger). Frozen weights stay put, which we check.
# Both are scored on the validation set; the test set waits for the end.

# %%
with using_your_code():
    model = add_head(load_base(), np.random.default_rng(0))
    base_weights = [layer.params["W"].copy() for layer in model.layers[:4] if layer.params]
    head_history = fit(model, X_train, y_train, 0.01, 300)
    assert all(np.array_equal(w, layer.params["W"])
               for w, layer in zip(base_weights, [l for l in model.layers[:4] if l.params]))
    print(f"head only:     train loss {head_history[-1]:.3f}, "
          f"validation accuracy {transfer.accuracy(model, X_val, y_val):.3f}")
    model.unfreeze()
    tune_history = fit(model, X_train, y_train, 1e-4, 100)
    print(f"fine-tune all: train loss {tune_history[-1]:.3f}, "
          f"validation accuracy {transfer.accuracy(model, X_val, y_val):.3f}")

# %% [markdown]
# One set of 30 images and one guess at the settings prove little either way. The next
# section chooses every setting on the validation set, over several draws of 30 images.
#
# ## 5 · Choosing on the validation set
#
# Four strategies learn from the 30 labelled images: **from scratch** (the base's
# architecture with random weights, all trained), **head only** (frozen base, new head),
# **fine-tune** (head only, then everything unfrozen and trained further) and **all at once**
# (the pretrained base and a fresh head trained together from the start). Each needs a
# learning rate and a number of epochs, and each is chosen here, on the validation set:
#
# * from scratch, head only and all at once: rates $10^{-3}, 10^{-2}, 10^{-1}$, for 100 or
#   300 epochs;
# * fine-tune, starting from the head trained at the chosen head setting: rates
#   $10^{-4}, 10^{-3}, 10^{-2}, 10^{-1}$, for 30 or 100 epochs.
#
# Each setting is repeated on five different draws of 30 labelled images
# (`course.transfer.choose`, with your `fit` and `add_head`) and scored on the 200 validation
# images; a strategy's chosen setting is the one with the highest mean (on a tie, the first
# listed), marked ←. A line reads: mean ± standard deviation over the five draws, the lowest,
# and on how many draws it beats head only (at the chosen head setting) on the same images.
# The strategy §7 deploys is the one with the highest mean at its chosen setting; on a tie,
# the one whose lowest draw is higher (the safer bet on an unlucky draw).

# %%
names = {"scratch": "from scratch", "head_only": "head only", "fine_tune": "fine-tune", "all_at_once": "all at once"}
with using_your_code():
    chosen, runs = transfer.choose(layers, fit, add_head, 30, transfer.DRAWS)
    head_only = transfer.at(runs, chosen, "head_only")
    for name in ("head_only", "scratch", "all_at_once", "fine_tune"):
        for lr, epochs in (transfer.GRID if name == "fine_tune" else transfer.TRAIN_GRID):
            scores = [run[name, lr, epochs] for run in runs]
            baseline = None if name == "head_only" else head_only
            mark = " ←" if (lr, epochs) == chosen[name] else ""
            print(f"{names[name]:13s} lr {lr:.0e}, {epochs:3d} epochs  {transfer.summary(scores, baseline)}{mark}")
    commoner = max(y_val.mean(), 1 - y_val.mean())
    print(f"\nalways answering the commoner class scores {commoner:.3f} on validation; at lr 1e-01, draws that end "
          "no better: " + "; ".join(f"{names[name]} " + ", ".join(
              f"{sum(run[name, lr, e] <= commoner for run in runs)} of {len(runs)} ({e} epochs)"
              for lr, e in (transfer.GRID if name == "fine_tune" else transfer.TRAIN_GRID) if lr == 0.1)
              for name in ("all_at_once", "fine_tune")))
    # the strategy to deploy: the highest mean at its chosen setting; on a tie, the higher lowest draw
    at_chosen = {name: transfer.at(runs, chosen, name) for name in transfer.STRATEGIES}
    strategy = max(transfer.STRATEGIES, key=lambda name: (round(np.mean(at_chosen[name]), 6), min(at_chosen[name])))
    print("\nchosen settings: " + "; ".join(f"{names[name]} lr {lr:.0e}, {epochs} epochs"
                                          for name, (lr, epochs) in chosen.items()))
    print("at them: " + "; ".join(f"{names[name]} {transfer.summary(at_chosen[name])}" for name in transfer.STRATEGIES))
    print(f"chosen strategy: {names[strategy]}")

# %% [markdown]
# **Reading it.** Each strategy's rows show why its setting is a choice. The head needs a
# large rate: at $10^{-3}$ it has not learned much even in 300 epochs (0.712), and its best is
# $10^{-1}$ for 300 epochs (0.820). From scratch does best at $10^{-2}$ for 300 epochs (0.802):
# below head only on average, and above it on 1 of the 5 draws. Fine-tuning everything from
# the chosen head, at any rate from $10^{-4}$ to $10^{-2}$, ends a little above head only: 0.825
# to 0.837 on average against 0.820, above it on 3 or 4 of the five draws, and $10^{-3}$ for 30
# epochs is its best. These gains are small next to the spread between draws. At $10^{-1}$ the steps are far too large: they rewrite the pretrained features
# (*catastrophic forgetting*), and on most draws fine-tuning ends no better than always
# answering the commoner class; training all at once at $10^{-1}$ ends there on every draw.
#
# But all at once at a small rate, $10^{-3}$ for 300 epochs, does as well as head first, then
# fine-tuning: both average 0.837. The tie goes to the higher lowest draw, all at once's
# (0.825 against 0.785), so all at once is the strategy §7 deploys. What forgets is a large
# rate, not training the base together with a fresh head: on these images and this network,
# the workflow's head-first order is not needed at 30 labels.
#
# **Does it depend on how much is labelled?** The four strategies at the settings chosen
# above, for 10, 30 and 100 labelled images (five draws each). The settings were chosen with
# 30 images; at 10 and 100 they are not re-chosen, so this also shows how well a choice
# carries over to another amount of data.

# %%
with using_your_code():
    curve = {n: [transfer.compare(layers, fit, add_head, n, draw, chosen) for draw in transfer.DRAWS]
             if n != 30 else [{name: run[(name, *chosen[name])] for name in transfer.STRATEGIES}
                              for run in runs]                  # 30 images: the runs above
             for n in transfer.SIZES}
    for n, draws in curve.items():
        scores = {name: [d[name] for d in draws] for name in transfer.STRATEGIES}
        print(f"{n:3d} labelled: " + "; ".join(
            f"{names[name]} {transfer.summary(scores[name], None if name in ('scratch', 'head_only') else scores['head_only'])}"
            for name in transfer.STRATEGIES))
    fig, ax = plt.subplots(figsize=(6, 3.2))
    for name, style in zip(transfer.STRATEGIES, ("s:", "o-", "^--", "d-.")):
        scores = np.array([[d[name] for d in curve[n]] for n in curve])
        ax.errorbar(list(curve), scores.mean(axis=1), yerr=scores.std(axis=1), fmt=style, capsize=3,
                    label=f"{names[name]} (lr {chosen[name][0]:.0e}, {chosen[name][1]} epochs)")
    ax.set(xscale="log", xticks=list(curve), xticklabels=[str(n) for n in curve], ylim=(0.5, 1.0),
           xlabel="labelled images", ylabel="validation accuracy", title="mean ± sd over 5 draws")
    ax.legend(loc="lower right", fontsize=8)
    plots.show(fig, alt="Validation accuracy against the number of labelled images, mean and sd over 5 draws: "
                        + "; ".join(f"{n} images: " + ", ".join(
                            f"{names[name]} {np.mean([d[name] for d in curve[n]]):.3f}"
                            for name in transfer.STRATEGIES) for n in curve) + ".")

# %% [markdown]
# **Reading it.** Pretraining pays most when labels are fewest: with 10 images, head only
# is 0.09 ahead of training from scratch (0.735 against 0.644), more than at 30 (0.02) or
# 100 (0.06). Every pretrained strategy is ahead of training from scratch at every size. The
# settings chosen with 30 images carry over unevenly. With 10 images, all at once is the best
# of the four (0.808, above head only on all five draws), while fine-tuning does not reliably win:
# its mean gain is smaller than the spread between draws, and it loses or ties on some of
# them. With 100 images head only is best on average: fine-tuning at the setting chosen with
# 30 images beats it on only 1 of the 5 draws, and all at once on none. A setting is chosen
# for the data it will be used with; with 100 labelled images, we would choose again. (These
# scores are on the validation set the settings were chosen on, so they flatter the chosen
# settings a little; the test set in §7 does not.)

# %% [markdown]
# ## 6 · The fine-tuning explorer
#
# Change how many labelled hospital images there are, and the learning rate used after
# unfreezing (for the number of epochs chosen in §5); the bars show validation accuracy for
# training from scratch, head only and fine-tuning everything, each at the settings chosen in
# §5 (one draw of the images, your `fit` and `add_head`). All at once, the strategy §5 chose, is
# not among the bars: the explorer is about the head-first workflow and its unfreeze rate;
# §5's table and the learning curve compare all four. A setting trains the first time you
# visit it (the controls wait while it does), then it is remembered. One draw varies more
# than the means above: compare with them. With many labelled images, does pretraining still
# matter? Which unfreeze rate starts to hurt?

# %%
with using_your_code():          # `chosen`: the settings §5 chose
    display(widgets.fine_tuning_explorer(layers, fit, add_head, chosen))

# %% [markdown]
# ## 7 · Deploy: save, load, predict, choose a threshold
#
# The hospital's model is the strategy chosen on validation in §5, at its chosen setting,
# trained on its 30 images. A model in a hospital is a file: save it, load it back as a new object, and check
# it predicts the same.

# %%
with using_your_code():
    model = transfer.train_strategies(layers, fit, add_head, 30, 0, chosen, strategies=(strategy,))[strategy]
    folder = tempfile.mkdtemp(prefix="backprop-lab-")
    path = os.path.join(folder, "pneumonia_model.npz")
    model.save(path)
    deployed = load_model(path)
    print("saved", os.path.getsize(path) // 1024, "KiB; identical predictions after loading:",
          np.array_equal(deployed.forward(X_val), model.forward(X_val)))
    new_image = xray.hospital_dataset(1, seed=99)[0]
    print(f"a new patient's image: P(pneumonia) = {deployed.forward(new_image)[0, 0]:.3f}")

# %% [markdown]
# **Which errors matter?** In screening, missing a sick patient (a false negative) is
# worse than a false alarm, which a radiologist then clears. Two rates describe a
# classifier's errors: **sensitivity** = TP / (TP + FN), the share of the sick it finds, and
# **specificity** = TN / (TN + FP), the share of the healthy it clears. The threshold 0.5 is
# a choice; lowering it buys sensitivity with specificity.
#
# Choose the threshold on the **validation** set, never on the test set (that would make the
# test result optimistic), then report on the test set.
#
# **Exercise 7.1 (2 points).** Write `binary_metrics(y_true, y_pred)` for 0/1 arrays of
# any matching shape: a dict with `accuracy`, `sensitivity`, `specificity` (floats; NaN if
# there are no positives, or no negatives).
#
# **Exercise 7.2 (2 points).** Write `threshold_for_sensitivity(y_true, p, target=0.95)`:
# the **highest** threshold $t$, among the scores in `p`, such that predicting `p >= t` finds
# at least `target` of the positives. (Sort the positives' scores from high to low; you need
# the first $\lceil \text{target} \cdot n_{pos} \rceil$ of them.)

# %% kind="solution" grade_id="binary_metrics"
def binary_metrics(y_true, y_pred):
    """y_true, y_pred: 0/1 arrays of the same shape. Returns a dict of floats with keys
    "accuracy", "sensitivity" and "specificity" (NaN where a rate is undefined)."""
    ### BEGIN SOLUTION
    y_true, y_pred = np.asarray(y_true).ravel(), np.asarray(y_pred).ravel()
    tp = np.sum((y_pred == 1) & (y_true == 1))
    tn = np.sum((y_pred == 0) & (y_true == 0))
    positives, negatives = np.sum(y_true == 1), np.sum(y_true == 0)
    return {"accuracy": float(np.mean(y_pred == y_true)),
            "sensitivity": float(tp / positives) if positives else float("nan"),
            "specificity": float(tn / negatives) if negatives else float("nan")}
    ### END SOLUTION

# %% kind="test" grade_id="test_binary_metrics" points=2
### BEGIN HIDDEN TESTS
try:
    from grader import fine_tuning as hidden
except ImportError:
    raise AssertionError(NO_GRADER) from None
hidden.check_binary_metrics(binary_metrics)
### END HIDDEN TESTS
y_true = np.array([1, 1, 1, 1, 0, 0, 0, 0, 0, 0])
y_pred = np.array([1, 1, 1, 0, 0, 0, 0, 0, 1, 1])           # TP 3, FN 1, TN 4, FP 2
got = run(binary_metrics, y_true, y_pred)
check_true(isinstance(got, dict), what="binary_metrics", mistake="wrong_return", problem="expected a dict")
check_array(got["accuracy"], 0.7, what="binary_metrics: accuracy")
check_array(got["sensitivity"], 0.75, what="binary_metrics: sensitivity (3 of 4 sick found)",
            variants=[("sens_spec_swapped", 4 / 6), ("precision_for_sensitivity", 3 / 5)])
check_array(got["specificity"], 4 / 6, what="binary_metrics: specificity (4 of 6 healthy cleared)",
            variants=[("sens_spec_swapped", 0.75)])
print("✓ binary_metrics")

# %% kind="solution" grade_id="threshold_for_sensitivity"
def threshold_for_sensitivity(y_true, p, target=0.95):
    """y_true: 0/1 labels; p: scores of the same shape; target: the sensitivity wanted, in
    (0, 1]. Returns a float, one of the scores in p: the highest threshold t for which
    predicting p >= t reaches sensitivity >= target."""
    ### BEGIN SOLUTION
    y_true, p = np.asarray(y_true).ravel(), np.asarray(p).ravel()
    positives = np.sort(p[y_true == 1])[::-1]
    needed = int(np.ceil(target * positives.size - 1e-9))
    return float(positives[max(needed, 1) - 1])
    ### END SOLUTION

# %% kind="test" grade_id="test_threshold_for_sensitivity" points=2
### BEGIN HIDDEN TESTS
try:
    from grader import fine_tuning as hidden
except ImportError:
    raise AssertionError(NO_GRADER) from None
hidden.check_threshold_for_sensitivity(threshold_for_sensitivity)
### END HIDDEN TESTS
y_true = np.array([1, 1, 1, 1, 0, 0, 0, 0])
p = np.array([0.9, 0.8, 0.6, 0.3, 0.7, 0.4, 0.2, 0.1])
check_array(run(threshold_for_sensitivity, y_true, p, 0.75), 0.6, what="threshold_for_sensitivity(..., target=0.75)",
            variants=[("threshold_lowest", 0.3), ("threshold_strict", 0.4)])
check_array(run(threshold_for_sensitivity, y_true, p, 1.0), 0.3, what="threshold_for_sensitivity(..., target=1.0)")
print("✓ threshold_for_sensitivity")

# %% [markdown]
# The deployed model's operating point: a threshold chosen on validation for sensitivity
# ≥ 0.95. Then, once, the test set: the 600 images nothing was chosen on, at the default
# 0.5 and at the chosen threshold.

# %%
with using_your_code():
    p_val = deployed.forward(X_val)
    threshold = threshold_for_sensitivity(y_val, p_val, 0.95)
    p_test = deployed.forward(X_test)
    for name, y_true, p, t in (("validation", y_val, p_val, threshold), ("test", y_test, p_test, 0.5),
                               ("test", y_test, p_test, threshold)):
        m = binary_metrics(y_true, (p >= t).astype(int))
        print(f"{name:10s} threshold {t:.3f}: sensitivity {m['sensitivity']:.3f}  specificity "
              f"{m['specificity']:.3f}  accuracy {m['accuracy']:.3f}")

# %% [markdown]
# On validation the chosen threshold finds at least 95% of pneumonia cases by construction;
# on the test set the sensitivity it reaches is printed beside it, and specificity is the
# price: compare it with the default 0.5. The test set's accuracy at 0.5 is the honest
# estimate of the chosen model, because nothing was chosen on it. A real deployment would
# also monitor for the next domain shift: a new scanner is a new hospital.
#
# ## Summary
#
# * Keep three sets: learn on training, choose every setting on validation, report on test
#   once.
# * Pretrained features transfer: with 10 labels, a frozen base and a small head beat
#   training everything from scratch by far.
# * Every learning rate and number of epochs is a choice, made on validation: the head
#   wanted $10^{-1}$, fine-tuning $10^{-3}$. With 30 labelled images, fine-tuning after the
#   head beats head only, and training everything at once at a small rate does as well; with
#   10, all at once is best and fine-tuning is no reliable gain; with 100, at the setting
#   chosen with 30, neither beats head only. Choose again for the data you have.
# * Adam = momentum's running average of the gradients ($m$) + RMSProp's running average of
#   their squares ($v$, a step size per weight) + bias correction; $t$ starts at 1.
# * Freezing means "not updated", enforced by the optimiser looping over trainable
#   parameters only; a large learning rate on a pretrained base forgets what it knew.
# * Deploying is saving and loading a file, and choosing the operating threshold on
#   validation data for the errors that matter.
