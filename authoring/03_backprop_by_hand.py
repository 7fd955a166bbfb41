# %% [markdown]
# # 03 · Backpropagation by hand
#
# Notebook 01 pushed numbers forward; notebook 02 measured the error and its gradient
# with respect to the prediction. **Backpropagation** carries that gradient back through
# the network, layer by layer, to every weight and bias, using nothing but the chain rule.
# You will reproduce a published worked example of one backprop step to the digit, then write the pieces every
# framework has inside, and at the end a small engine that finds every gradient by itself:
#
# | § | you write | points |
# |---|---|---|
# | 3 | `sigmoid_backward(dA, A)`, `relu_backward(dA, Z)` | 2 + 1 |
# | 4 | `dense_backward(dZ, X, W)` → `(dX, dW, db)` | 3 |
# | 5 | `numerical_gradient(f, x, h=1e-5)` | 2 |
# | 6 | `two_layer_backprop(X, y, W1, b1, W2, b2)` → `(loss, grads)` | 4 |
# | 8 | `mlp_backward(activations, layers, dA_out)` | 3 |
# | 11 | `Value`: the local derivatives of `+`, `*`, `/`, `**` | 3 |
# | 11 | `Value`: `exp`, `log`, `tanh`, `sigmoid`, `relu` | 2 |
# | 11 | `Value.backward`, then the whole engine | 3 + 1 |
#
# **Time.** Plan for about 3 hours: reading, the exercises, and the experiments.
#
# **Naming.** For a loss $L$, `dW` means $\partial L/\partial W$, an array of $W$'s shape;
# likewise `dZ`, `dA`, `db`. Rows are samples, as always: `X` is `(n, d_in)`, `W` is
# `(d_in, d_out)`.

# %% kind="readonly" grade_id="setup"
import math

import numpy as np

from course import data, plots, widgets
from course.checks import NO_GRADER, check_array, check_true, run, using_your_code
from course.gradcheck import relative_error, verdict
# earlier notebooks' functions, worked versions in the modules beside this notebook
from forward_pass import mlp_forward, sigmoid                               # notebook 01's
from loss_functions import binary_cross_entropy, binary_cross_entropy_grad  # notebook 02's

np.set_printoptions(precision=6, suppress=True)

# %%
import matplotlib.pyplot as plt      # the pictures (not part of the setup: grading draws none)

# %% [markdown]
# ## 1 · The chain rule on a graph
#
# If $L$ depends on $w$ only through $z$, then
# $\dfrac{\partial L}{\partial w} = \dfrac{\partial L}{\partial z}\cdot\dfrac{\partial z}{\partial w}$.
# A network is a long chain of such steps, best drawn as a **computational graph**: one
# node per intermediate value. Here is the worked example's network: two inputs, two sigmoid hidden
# units, one sigmoid output, binary cross-entropy.
#
# Backpropagation visits the graph **backwards**. Each node receives the gradient of $L$
# with respect to its own value (the *upstream* gradient), multiplies it by its *local*
# derivative, and passes the product to the nodes that feed it. A node that feeds several
# others (like $x_1$ here) adds up what comes back from each. Nothing is computed twice:
# where a dense layer's forward pass does one matrix product, its backward pass does two
# (one for its weights, one to pass the gradient on), so the whole backward pass costs about
# two forward passes, however many weights the network has. Checking every weight numerically,
# as §5 does, costs two forward passes **per weight**.

# %%
fig, ax = plt.subplots(figsize=(9, 4.4))
graph = plots.ComputationGraph(ax)
graph.update(values={}, grads={}, active=set(), caption="forward: left to right; backward: right to left",
             weights={("x1", "z1_1"): "w11", ("x2", "z1_1"): "w12", ("x1", "z1_2"): "w21", ("x2", "z1_2"): "w22",
                      ("a1_1", "z2"): "w31", ("a1_2", "z2"): "w32"})
plots.show(fig, alt="The worked example's 2-2-1 network as a computational graph: x1, x2 to z1, a1, then z2, "
                    "ŷ and the loss L; edges labelled w11 to w32. Forward runs left to right, backward right to left.")

# %% [markdown]
# ## 2 · The worked example, forward, to the digit
#
# The worked example works in **column-vector** notation: $z_1 = W_1 x + b_1$ with
# $x = [1, 0]^\top$, $W_1 = \begin{bmatrix}0.1 & 0.2\\ 0.3 & 0.4\end{bmatrix}$,
# $b_1 = [0.1, 0.1]^\top$, $W_2 = [0.2, 0.3]$, $b_2 = 0.1$, label $y = 1$. Row $j$ of its
# $W_1$ holds the weights **into** hidden unit $j$. The example rounds as it goes; below, every
# number is computed, next to the example's.

# %% kind="readonly" grade_id="worked_example_forward"
x_col = np.array([1.0, 0.0])
W1_col = np.array([[0.1, 0.2], [0.3, 0.4]])
b1_col = np.array([0.1, 0.1])
W2_col = np.array([0.2, 0.3])
b2_col = 0.1
y_example = 1.0

z1 = W1_col @ x_col + b1_col
a1 = sigmoid(z1)
z2 = W2_col @ a1 + b2_col
y_hat = sigmoid(z2)
loss = -(y_example * np.log(y_hat) + (1 - y_example) * np.log(1 - y_hat))

rows = [("z1", "0.2 0.4", z1), ("a1", "0.55 0.60", a1), ("z2", "0.39", z2), ("ŷ", "0.596", y_hat), ("L", "0.517", loss)]
print(f"{'':4s}{'worked example':>16s}   {'computed':22s} rounded as the example rounds")
for name, shown, value in rows:
    digits = len(shown.split()[0].split(".")[1])         # the decimals the example shows
    same = np.allclose(np.round(np.ravel(value), digits), [float(v) for v in shown.split()])
    print(f"{name:4s}{shown:>16s}   {str(np.round(value, 6)):22s} {'agrees' if same else 'DIFFERS'}")

# %% [markdown]
# All the example's forward numbers agree to the digits it shows. (Its $z_2 = 0.39$ comes
# from the *rounded* $a_1 = [0.55, 0.60]$: $0.2 \cdot 0.55 + 0.3 \cdot 0.60 + 0.1 = 0.39$;
# the exact value is $0.389573$.)
#
# **The same network in this course's notation.** Samples are rows, so the input is the
# $1 \times 2$ matrix $X = x^\top$, and transposing $z_1 = W_1 x + b_1$ gives
# $z_1^\top = x^\top W_1^\top + b_1^\top$. The course's weight matrix is therefore the example's
# **transposed**: shape `(d_in, d_out)`, column $j$ = the weights into unit $j$.

# %% kind="readonly" grade_id="worked_example_rows"
X4 = x_col[None, :]                       # (1, 2): one sample, one row
W1 = W1_col.T                             # (2, 2): W1[i, j] connects input i to hidden unit j
b1 = b1_col                               # (2,)
W2 = W2_col[:, None]                      # (2, 1): the example's row [w31, w32] as a column
b2 = np.array([b2_col])                   # (1,)
y4 = np.array([[y_example]])              # (1, 1)
A1 = sigmoid(X4 @ W1 + b1)
A2 = sigmoid(A1 @ W2 + b2)
print("row notation: A1 =", A1, " A2 =", A2, " same as the example's:", np.allclose(A1[0], a1), np.allclose(A2[0, 0], y_hat))

# %% [markdown]
# **Another notation for the same graph.** The notes on forward and backward propagation that gave
# notebook 01 its 2-3-2 network also work backpropagation through a small 2-2-1 network, this graph's
# shape. They write the hidden pre-activations as
# $O_{11} = x_{11} w^1_{11} + x_{12} w^1_{21} + b_{11}$ and
# $O_{12} = x_{11} w^1_{12} + x_{12} w^1_{22} + b_{12}$, and the output as
# $O_{21} = w^2_{11} O_{11} + w^2_{21} O_{12} + b_{21}$. So $O_{11}, O_{12}$ are our
# $z^{(1)}_1, z^{(1)}_2$ (the notes leave out the activation there; with it, the inputs of
# layer 2 are $a^{(1)}_j = \sigma(O_{1j})$), $O_{21}$ is $z^{(2)}$, and $w^1_{ij}$ connects input
# $i$ to unit $j$: it is exactly `W1[i-1, j-1]` in this course's layout. (The graph above and
# the stepper name an edge unit first, as the worked example's matrices do: their w12 runs from
# input 2 to unit 1, the notes' $w^1_{21}$.) Its chain rule
# $\partial L/\partial w^2_{11} = \partial L/\partial \hat y \cdot \partial \hat y/\partial w^2_{11}$
# is the last edge of the graph. (The notes' list of layer-2 gradients,
# "$[\partial L/\partial\hat y, \partial L/\partial w^2_{11}, \partial L/\partial b_{21}, \partial L/\partial b_{21}]$",
# repeats $b_{21}$ and omits $w^2_{21}$: layer 2's three learnable parameters are
# $w^2_{11}, w^2_{21}, b_{21}$.)

# %% [markdown]
# ## 3 · Local derivatives of the activations
#
# A sigmoid layer computes $A = \sigma(Z)$ element by element, so each $Z_{ij}$ affects only
# $A_{ij}$ and the chain rule is an element-wise product:
#
# $$\frac{\partial L}{\partial Z_{ij}} = \frac{\partial L}{\partial A_{ij}}\cdot\sigma'(Z_{ij}).$$
#
# What is $\sigma'$? Derive it in three steps (paper first):
#
# 1. With $\sigma(z) = 1/(1 + e^{-z})$, the chain rule gives $\sigma'(z) = \dfrac{e^{-z}}{(1 + e^{-z})^2}$.
# 2. Split that into $\dfrac{1}{1 + e^{-z}}\cdot\dfrac{e^{-z}}{1 + e^{-z}}$. The first factor is
#    $\sigma(z)$. Write the second one with $\sigma(z)$ as well (add and subtract 1 in its numerator).
# 3. Now $\sigma'(z)$ is a function of $\sigma(z)$ alone, that is of the layer's **output** $A$,
#    which the forward pass already stored: no new exponential is needed. That is why
#    `sigmoid_backward` receives $A$, not $Z$. Check your result at $z = 0$: there $\sigma = \tfrac12$,
#    and step 1 gives $\sigma'(0) = \tfrac14$.
#
# (The classic XOR program and the 0.875 regression program do the same: their sigmoid-derivative
# helper is called with the activation, not with $z$.) Feeding $Z$ to a formula written for $A$,
# or applying $\sigma$ to $A$ again, is a classic bug.
#
# ReLU, $A = \max(Z, 0)$, has slope 1 where the unit was active ($Z > 0$) and 0 elsewhere; at
# exactly $Z = 0$ we take 0. Put that slope into the chain rule above to get $\partial L/\partial Z$
# from `dA` and `Z`.
#
# **Exercise 3.1 (2 + 1 points).** Write `sigmoid_backward(dA, A)` and `relu_backward(dA, Z)`.

# %% kind="solution" grade_id="sigmoid_backward"
def sigmoid_backward(dA, A):
    """dL/dZ for a sigmoid layer A = sigmoid(Z).

    dA: dL/dA, (n, d).  A: the layer's output, (n, d).  Returns dL/dZ, (n, d).
    """
    ### BEGIN SOLUTION
    return dA * A * (1 - A)
    ### END SOLUTION

# %% kind="test" grade_id="test_sigmoid_backward" points=2
### BEGIN HIDDEN TESTS
try:
    from grader import backprop_by_hand as hidden
except ImportError:
    raise AssertionError(NO_GRADER) from None
hidden.check_sigmoid_backward(sigmoid_backward)
### END HIDDEN TESTS
A = np.array([[0.5, 0.9, 0.2]])
dA = np.array([[1.0, -2.0, 4.0]])
check_array(run(sigmoid_backward, dA, A), [[0.25, -0.18, 0.64]], what="sigmoid_backward(dA, A) for one sample",
            variants=[("derivative_on_z", [[0.23500371, -0.41100062, 0.99006629]]),
                      ("chain_rule_broken", [[0.25, 0.09, 0.16]])])
print("✓ sigmoid_backward")

# %% kind="solution" grade_id="relu_backward"
def relu_backward(dA, Z):
    """dL/dZ for a ReLU layer A = max(Z, 0).

    dA: dL/dA, (n, d).  Z: the layer's input (pre-activation), (n, d).  Returns dL/dZ, (n, d).
    """
    ### BEGIN SOLUTION
    return dA * (Z > 0)
    ### END SOLUTION

# %% kind="test" grade_id="test_relu_backward" points=1
### BEGIN HIDDEN TESTS
try:
    from grader import backprop_by_hand as hidden
except ImportError:
    raise AssertionError(NO_GRADER) from None
hidden.check_relu_backward(relu_backward)
### END HIDDEN TESTS
Z = np.array([[-1.0, 2.0, 0.0], [0.5, -3.0, 0.0]])     # exactly 0: the slope there is 0 (this section)
dA = np.array([[5.0, 6.0, 4.0], [7.0, 8.0, 9.0]])
check_array(run(relu_backward, dA, Z), [[0.0, 6.0, 0.0], [7.0, 0.0, 0.0]], what="relu_backward(dA, Z) for Z of shape (2, 3)",
            variants=[("relu_backward_ge", [[0.0, 6.0, 4.0], [7.0, 0.0, 9.0]]),
                      ("chain_rule_broken", [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]),
                      ("relu_backward_z", [[-5.0, 12.0, 0.0], [3.5, -24.0, 0.0]]),
                      ("relu_backward_sign", [[5.0, 0.0, 0.0], [0.0, 8.0, 0.0]]),
                      ("relu_backward_sign", [[5.0, 0.0, 4.0], [0.0, 8.0, 9.0]])])
print("✓ relu_backward")

# %% [markdown]
# ## 4 · The dense layer, backwards
#
# For $Z = XW + b$ with $X$ `(n, d_in)`, $W$ `(d_in, d_out)`, the upstream gradient
# $\partial L/\partial Z$ (`dZ`, shape `(n, d_out)`) gives all three gradients. Everything
# follows from one line, $Z_{ij} = \sum_k X_{ik}W_{kj} + b_j$; derive each gradient entry by
# entry, then find the NumPy expression that computes all its entries at once:
#
# 1. **`dW`.** $W_{kj}$ touches $Z_{ij}$ of every sample $i$, with coefficient $X_{ik}$, so
#    $\partial L/\partial W_{kj} = \sum_i X_{ik}\,(dZ)_{ij}$. Which matrix product of `X` and `dZ`
#    (either may be transposed) computes that sum for every $k, j$? **Let the shapes guide you**:
#    `dW` must have `W`'s shape `(d_in, d_out)`, and only one of those products has it.
# 2. **`db`.** $b_j$ is added to $Z_{ij}$ of every row $i$, with coefficient 1. Write
#    $\partial L/\partial b_j$ the same way: a sum over which index, so over which axis of `dZ`?
# 3. **`dX`.** $X_{ik}$ touches $Z_{ij}$ for every output $j$, with coefficient $W_{kj}$. Write
#    $\partial L/\partial X_{ik}$ as a sum over $j$, then as a matrix product of shape `(n, d_in)`.
#
# The mean over the batch is already inside `dZ` (it came from the loss), so no $1/n$ here.
#
# **Exercise 4.1 (3 points).** Write `dense_backward(dZ, X, W)` returning `(dX, dW, db)`.

# %% kind="solution" grade_id="dense_backward"
def dense_backward(dZ, X, W):
    """Gradients of a dense layer Z = X @ W + b.

    dZ: (n, d_out) upstream gradient.  X: (n, d_in) the layer's input.  W: (d_in, d_out).
    Returns (dX, dW, db) with shapes (n, d_in), (d_in, d_out), (d_out,).
    """
    ### BEGIN SOLUTION
    return dZ @ W.T, X.T @ dZ, dZ.sum(axis=0)
    ### END SOLUTION

# %% kind="test" grade_id="test_dense_backward" points=3
### BEGIN HIDDEN TESTS
try:
    from grader import backprop_by_hand as hidden
except ImportError:
    raise AssertionError(NO_GRADER) from None
hidden.check_dense_backward(dense_backward)
### END HIDDEN TESTS
X = np.array([[1.0, 2.0], [3.0, -1.0], [0.0, 1.0]])        # n = 3, d_in = 2
W = np.array([[1.0, 0.0, -1.0], [2.0, 1.0, 0.5]])          # d_out = 3
dZ = np.array([[1.0, 0.0, 2.0], [0.0, -1.0, 1.0], [1.0, 1.0, 0.0]])
got = run(dense_backward, dZ, X, W)
check_true(isinstance(got, tuple) and len(got) == 3, what="dense_backward(dZ, X, W)", mistake="wrong_return",
           problem=f"expected the tuple (dX, dW, db), got {type(got).__name__}")
dX, dW, db = got
check_array(dX, [[-1.0, 3.0], [-1.0, -0.5], [1.0, 3.0]], what="dense_backward: dX",
            variants=[("dense_backward_order", [[1.0, -3.0, 5.0], [3.0, 2.0, 3.0]])])
check_array(dW, [[1.0, -3.0, 5.0], [3.0, 2.0, 3.0]], what="dense_backward: dW", n=3,
            variants=[("transposed", [[1.0, 3.0], [-3.0, 2.0], [5.0, 3.0]])])
check_array(db, [2.0, 0.0, 3.0], what="dense_backward: db", n=3, variants=[("bias_not_summed", dZ)])
print("✓ dense_backward")

# %% [markdown]
# ## 5 · Gradient checking
#
# An analytic gradient can be checked against the definition of a derivative. The
# **centered difference**
#
# $$\frac{\partial f}{\partial x_i} \approx \frac{f(x + h e_i) - f(x - h e_i)}{2h}$$
#
# has an error of order $h^2$ (the $h^2$ terms of the two Taylor expansions cancel), where the
# one-sided $\big(f(x + h e_i) - f(x)\big)/h$ is off by order $h$: with $h = 10^{-5}$, that is
# $h^2 = 10^{-10}$ against $h = 10^{-5}$ (times the function's higher derivatives; the cell after
# the exercise measures both). Perturb one entry at a time, and put it back afterwards: the
# caller's `x` must be unchanged when you return.
#
# Compare two gradients with the **relative error**
# $\max|a - b| / \max(|a| + |b|)$, which does not care about their scale:
#
# | relative error | reading |
# |---|---|
# | < 1e-7 | correct: the difference is rounding |
# | < 1e-5 | probably correct (fine for sigmoid/tanh networks) |
# | < 1e-3 | suspicious: a kink (ReLU at 0, max, abs) or a bug |
# | ≥ 1e-3 | wrong: a transposed matrix, a missing $1/n$, a broken chain rule |
#
# **Exercise 5.1 (2 points).** Write `numerical_gradient(f, x, h=1e-5)` for a scalar function
# `f` of an array `x` of any shape (`np.ndindex(x.shape)` visits every index). Work on a
# float copy, or restore each entry after probing it.

# %% kind="solution" grade_id="numerical_gradient"
def numerical_gradient(f, x, h=1e-5):
    """Centered-difference gradient of the scalar function f at x (any shape); x is left unchanged.

    Returns an array of x's shape.
    """
    ### BEGIN SOLUTION
    x = np.array(x, dtype=float)          # a private copy
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        up = f(x)
        x[i] = old - h
        down = f(x)
        x[i] = old
        grad[i] = (up - down) / (2 * h)
    return grad
    ### END SOLUTION

# %% kind="test" grade_id="test_numerical_gradient" points=2
### BEGIN HIDDEN TESTS
try:
    from grader import backprop_by_hand as hidden
except ImportError:
    raise AssertionError(NO_GRADER) from None
hidden.check_numerical_gradient(numerical_gradient)
### END HIDDEN TESTS
x = np.array([[1.0, -2.0, 0.5], [0.0, 3.0, -1.0]])
f = lambda v: float(np.sum(v ** 3))                   # gradient 3 v²; a forward difference is off by ~3 h v
got = run(numerical_gradient, f, x)
check_array(got, 3 * x ** 2 + 1e-10, what="numerical_gradient(sum(x³)) at x of shape (2, 3)",
            rtol=1e-8, atol=1e-8, variants=[("forward_difference", 3 * x ** 2 + 3e-5 * x + 1e-10)])
x_int = np.array([1, -2, 3])                            # integers: x + h must not round back to x
got_int, got_float = run(numerical_gradient, f, x_int), run(numerical_gradient, f, x_int.astype(float))
check_true(np.allclose(got_int, got_float, rtol=1e-9, atol=1e-9), what="numerical_gradient at the integer x = [1, -2, 3]",
           mistake="integer_copy", problem=f"got {got_int} for integers, {got_float} for the same numbers as floats.")
check_array(run(numerical_gradient, f, np.array([2.0]), h=1e-2), [12.0001], what="numerical_gradient(..., h=1e-2) at x = 2",
            rtol=1e-10, variants=[("forward_difference", [(2.01 ** 3 - 8) / 0.01]), ("h_ignored", [12.0 + 1e-10])])
print("✓ numerical_gradient")

# %% [markdown]
# **Where it misleads.** At a kink the two one-sided slopes differ and a centered difference
# straddling it averages them. ReLU at exactly 0 has slopes 0 and 1; we defined the
# derivative there as 0, the numerical gradient says 0.5.
#
# And the step $h$ is a trade-off. A large $h$ pays the formula's error (order $h^2$); a small
# one pays rounding: $f(x + h) - f(x - h)$ is a tiny difference of two nearly equal numbers,
# each rounded to the precision of the computation, and the rounding error is then divided by
# $2h$. Below, $f(x) = \sum \tanh(x)$ at $x = [0.3, -0.7]$, whose exact gradient is known,
# with the centered difference computed in float64 and in float32 (about 7 significant digits:
# float32's machine epsilon is 1.2e-07) and, for comparison, the one-sided difference in float64:

# %%
with using_your_code():
    relu_sum = lambda v: float(np.sum(np.maximum(v, 0)))
    at_kink = np.array([0.0, 1.0, -1.0])
    print("ReLU slope at [0, 1, -1]: analytic", relu_backward(np.ones(3), at_kink),
          " numerical", numerical_gradient(relu_sum, at_kink))

    x0 = np.array([0.3, -0.7])
    tanh_slope = 1 - np.tanh(x0) ** 2                    # the exact gradient of sum(tanh(x))
    sum_tanh = {p: (lambda v, p=p: float(np.sum(np.tanh(v.astype(p))))) for p in (np.float64, np.float32)}
    print(f"\nrelative error against the exact gradient (float32's machine epsilon: {np.finfo(np.float32).eps:.1e})")
    print(f"{'h':>7s} {'centered, float64':>18s} {'centered, float32':>18s} {'one-sided, float64':>19s}")
    for h in (1e-2, 1e-3, 1e-5):
        one_sided = (np.tanh(x0 + h) - np.tanh(x0)) / h  # sum(tanh) is separable: one entry at a time
        errors = [relative_error(tanh_slope, numerical_gradient(sum_tanh[p], x0, h)) for p in (np.float64, np.float32)]
        print(f"{h:7.0e} {errors[0]:18.1e} {errors[1]:18.1e} {relative_error(tanh_slope, one_sided):19.1e}")

# %% [markdown]
# Read the table by rows. At $h = 10^{-2}$ float64 and float32 agree (1.2e-05): that is the
# formula's own $h^2$ error, and the one-sided difference is worse (order $h$). Going down to
# $h = 10^{-5}$, float64's error shrinks with $h^2$ to about 1e-11 (the table's "correct"), while
# float32's **grows**, to about 1e-04: the same function, the same exact gradient and the same $h$,
# only the precision changed, so the whole difference is rounding; neither a kink nor a bug.
# Yet the table above would call that "suspicious: a kink or a bug": its bands are for float64.
# Check gradients in float64, where $h = 10^{-5}$ is a good step.

# %% [markdown]
# ## 6 · The worked example's network, backwards
#
# With binary cross-entropy after a sigmoid, notebook 02 showed that the chain rule
# collapses at the output: $\partial L/\partial z^{(2)} = \hat y - y$ per sample. With the
# mean over the $N$ output elements (here $N = n$, one output per sample), the whole
# backward pass is four steps, each one a piece you have written:
#
# $$\begin{aligned}
# &1.\;\; dZ_2 = \frac{A_2 - Y}{N} && \text{notebook 02: cross-entropy after a sigmoid}\\
# &2.\;\; dZ_2 \;\longrightarrow\; dW_2,\ db_2,\ dA_1 && \text{§4: a dense layer with input } A_1 \text{ and weights } W_2\\
# &3.\;\; dA_1 \;\longrightarrow\; dZ_1 && \text{§3: a sigmoid layer with output } A_1\\
# &4.\;\; dZ_1 \;\longrightarrow\; dW_1,\ db_1 && \text{§4: a dense layer with input } X \text{ and weights } W_1
# \end{aligned}$$
#
# Do not apply the output sigmoid's derivative to $A_2 - Y$ again: it is already inside it.
# (The classic XOR program does apply it, because its loss is the squared error, not cross-entropy.)
#
# **Exercise 6.1 (4 points).** Write `two_layer_backprop(X, y, W1, b1, W2, b2)` for a sigmoid
# hidden layer, a sigmoid output and mean binary cross-entropy (clip as in 02). Return
# `(loss, grads)` with `grads` a dict with keys `dW1, db1, dW2, db2`.

# %% kind="solution" grade_id="two_layer_backprop"
def two_layer_backprop(X, y, W1, b1, W2, b2):
    """Loss and gradients of the worked example's network.

    X (n, d), y (n, k) labels 0/1, W1 (d, h), b1 (h,), W2 (h, k), b2 (k,).
    Returns (loss, grads): loss = mean binary cross-entropy (a float), grads = {"dW1", "db1", "dW2", "db2"}.
    """
    ### BEGIN SOLUTION
    A1 = sigmoid(X @ W1 + b1)
    A2 = sigmoid(A1 @ W2 + b2)
    p = np.clip(A2, 1e-12, 1 - 1e-12)
    loss = float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
    dZ2 = (A2 - y) / y.size
    dA1, dW2, db2 = dense_backward(dZ2, A1, W2)
    dZ1 = sigmoid_backward(dA1, A1)
    _, dW1, db1 = dense_backward(dZ1, X, W1)
    return loss, {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}
    ### END SOLUTION

# %% kind="test" grade_id="test_two_layer_backprop" points=4
### BEGIN HIDDEN TESTS
try:
    from grader import backprop_by_hand as hidden
except ImportError:
    raise AssertionError(NO_GRADER) from None
hidden.check_two_layer_backprop(two_layer_backprop)
hidden.check_two_layer_backprop_saturated(two_layer_backprop)
### END HIDDEN TESTS
loss4, grads4 = run(two_layer_backprop, X4, y4, W1, b1, W2, b2)
check_array(loss4, 0.5172127665584896, what="two_layer_backprop on the worked example: loss")
check_true(isinstance(grads4, dict) and {"dW1", "db1", "dW2", "db2"} <= set(grads4), what="two_layer_backprop",
           mistake="grads_keys", problem="grads must be a dict with keys dW1, db1, dW2, db2")
check_array(grads4["dW2"], [[-0.222034], [-0.24176209]], what="worked example: grads['dW2']",
            variants=[("bce_sigmoid_double", [[-0.222034 * 0.59617993 * 0.40382007], [-0.24176209 * 0.59617993 * 0.40382007]])])
check_array(grads4["db2"], [-0.40382007], what="worked example: grads['db2']")
check_array(grads4["dW1"], [[-0.01999043, -0.02910663], [0.0, 0.0]], what="worked example: grads['dW1']",
            variants=[("transposed", [[-0.01999043, 0.0], [-0.02910663, 0.0]]),
                      ("derivative_on_z", [[-0.0129222423, -0.0290750453], [0.0, 0.0]]),
                      ("derivative_on_z", [[-0.0187387031, -0.0277268877], [0.0, 0.0]]),
                      ("wrong_layer_activation", [[-0.0109914192, -0.0160038167], [-0.011968025, -0.0174257823]])])
check_array(grads4["db1"], [-0.01999043, -0.02910663], what="worked example: grads['db1']")
# a batch of four: the mean's 1/N, invisible with one sample, shows
X_batch = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [-1.0, 2.0]])
y_batch = np.array([[1.0], [0.0], [1.0], [0.0]])
loss_b, grads_b = run(two_layer_backprop, X_batch, y_batch, W1, b1, W2, b2)
check_array(loss_b, 0.7136639559968052, what="two_layer_backprop on a batch of 4: loss",
            variants=[("loss_not_mean", 4 * 0.7136639559968052)])
check_array(grads_b["dW2"], [[0.0615081444], [0.0618228556]], what="batch of 4: grads['dW2']",
            variants=[("missing_mean", [[0.2460325775], [0.2472914224]])])
check_array(grads_b["dW1"], [[-0.0169724268, -0.0239403319], [0.0170400067, 0.0248794982]], what="batch of 4: grads['dW1']",
            variants=[("derivative_on_z", [[-0.0151923835, -0.0228420509], [0.0159972993, 0.0281626287]]),      # sigmoid_backward(dA1, Z1)
                      ("derivative_on_z", [[-0.0160918505, -0.0237072518], [0.0161600439, 0.0239961015]]),      # sigma applied to A1 again
                      ("wrong_layer_activation", [[0.0029472732, 0.0044547959], [0.0029612759, 0.0045130505]])])   # A1 as the input
print("✓ two_layer_backprop reproduces the worked example and a batch of 4")

# %% [markdown]
# Your backward pass next to the example's hand-rounded numbers. The example writes gradients
# as columns ($\delta_1 x^\top$ is `(hidden, input)`); ours are the transposes.

# %%
with using_your_code():
    loss4, grads4 = two_layer_backprop(X4, y4, W1, b1, W2, b2)
    delta2 = grads4["db2"][0]
    table = [("δ2 = ŷ - y", [-0.404], delta2),                 # the example's numbers, 3 decimals
             ("dW2", [-0.222, -0.243], grads4["dW2"].ravel()),
             ("δ1", [-0.020, -0.029], grads4["db1"]),
             ("dW1 (example's layout)", [[-0.020, 0.0], [-0.029, 0.0]], grads4["dW1"].T)]
    fmt = lambda a, digits: " ".join(np.array2string(np.asarray(a), precision=digits, floatmode="fixed",
                                                       separator=", ").split())
    print(f"{'':23s}{'worked example':35s}{'computed':47s}rounded to 3 decimals")
    for name, example, value in table:
        same = np.isclose(np.round(value, 3), np.reshape(example, np.shape(value)), rtol=0, atol=1e-9)
        verdict_here = "agrees" if same.all() else f"DIFFERS in {int((~same).sum())} of {same.size}"
        print(f"{name:23s}{fmt(example, 3):35s}{fmt(value, 6):47s}{verdict_here}")
    print("δ2 × a1[2]: exactly", round(delta2 * A1[0, 1], 6), " from the example's rounded factors, -0.404 × 0.60 =",
          round(-0.404 * 0.60, 4))

# %% [markdown]
# Every backward number agrees except one: the example's $dW_2 = [-0.222, -0.243]$ has a
# rounding slip in the second entry. $\delta_2 a^{(1)}_2 = -0.403820 \times 0.598688 = -0.241762$,
# which rounds to $-0.242$ (even the example's own rounded factors give $-0.404 \times 0.60 = -0.2424$).
# Everything else agrees with the example to the digits it shows.

# %% [markdown]
# ## 7 · The backprop stepper
#
# Step through the worked example's graph: **next ▶** moves forward node by node (values in black),
# then backward (gradients $\partial L/\partial\,\text{node}$ in red), with the formula and
# numbers of each step underneath. Change the input, the label or any weight and everything
# is recomputed; your `sigmoid_backward` and `dense_backward` do the backward pass.
#
# Try, then open the answers below:
#
# 1. At step 7 the caption shows $\partial L/\partial z^{(2)} = \hat y - y$. Switch the label $y$
#    from 1 to 0: by how much does $\partial L/\partial z^{(2)}$ change, and why by exactly that much?
#    Which way does its new sign tell gradient descent to move $z^{(2)}$?
# 2. The example's input has $x_2 = 0$, so at step 9 the gradients of $w_{12}$ and $w_{22}$ are 0.
#    Set $x_1 = 0$ and $x_2 = 1$ instead: which entries of $dW_1$ are 0 now, and why?
#
# <details><summary>Answers</summary>
#
# 1. From $-0.4038$ to $0.5962$: up by exactly 1, because $\hat y = 0.5962$ does not depend on the
#    label. Positive now, so gradient descent lowers $z^{(2)}$, and with it $\hat y$, towards the label 0.
# 2. The gradients of $w_{11}$ and $w_{21}$, the weights leaving $x_1$ (the first column in the
#    example's layout). A weight's gradient is the gradient at the unit it feeds times the input it
#    carries, and that input is now 0.
#
# </details>

# %%
widgets.backprop_stepper(sigmoid, sigmoid_backward, dense_backward, binary_cross_entropy, binary_cross_entropy_grad)

# %% [markdown]
# ## 8 · Any depth: `mlp_backward`
#
# The 0.875 regression program (notebook 02) trains a 2-2-2-1 all-sigmoid network. Its `backward_pass` walks the layers from
# last to first; at each layer it turns the gradient with respect to the layer's output
# into one with respect to its pre-activation (the sigmoid's local derivative), reads off
# the weight and bias gradients, and passes the gradient on to the previous layer's
# output. With `activations = [X, A1, ..., AL]` from notebook 01's `mlp_forward`:
#
# $$\begin{aligned}
# dA_l \;&\longrightarrow\; dZ_l && \text{§3: a sigmoid layer with output } A_l\\
# dZ_l \;&\longrightarrow\; dW_l,\ db_l,\ dA_{l-1} && \text{§4: a dense layer with input } A_{l-1} \text{ and weights } W_l
# \end{aligned}$$
#
# Note $A_{l-1}$, the activation flowing **into** layer $l$: with `activations` indexed from
# 0 (= $X$), layer $l$'s output is `activations[l]` and its input `activations[l - 1]`.
# (`mlp_forward` from notebook 01 is imported from `forward_pass.py`, beside this notebook:
# the worked versions of notebook 01's exercises.)
#
# **Exercise 8.1 (3 points).** Write `mlp_backward(activations, layers, dA_out)` for an
# all-sigmoid MLP, using your `sigmoid_backward` and `dense_backward`. `dA_out` is
# $\partial L/\partial A_L$. Return `[(dW1, db1), ..., (dWL, dbL)]` in layer order.

# %% kind="solution" grade_id="mlp_backward"
def mlp_backward(activations, layers, dA_out):
    """Backward pass of an all-sigmoid MLP.

    activations: [X, A1, ..., AL] from the forward pass.  layers: [(W1, b1), ..., (WL, bL)].
    dA_out: dL/dAL, shape of AL. Returns [(dW1, db1), ..., (dWL, dbL)], each of its parameter's shape.
    """
    ### BEGIN SOLUTION
    grads = []
    dA = dA_out
    for l in range(len(layers), 0, -1):
        dZ = sigmoid_backward(dA, activations[l])
        dA, dW, db = dense_backward(dZ, activations[l - 1], layers[l - 1][0])
        grads.append((dW, db))
    return grads[::-1]
    ### END SOLUTION

# %% kind="test" grade_id="test_mlp_backward" points=3
### BEGIN HIDDEN TESTS
try:
    from grader import backprop_by_hand as hidden
except ImportError:
    raise AssertionError(NO_GRADER) from None
hidden.check_mlp_backward(mlp_backward)
### END HIDDEN TESTS
layers2 = [(np.array([[0.5, -0.3, 0.8], [0.1, 0.4, -0.6]]), np.array([0.0, 0.1, -0.1])),
           (np.array([[0.3], [-0.2], [0.7]]), np.array([0.05]))]
X2 = np.array([[1.0, 2.0], [-1.0, 0.5]])
acts2 = mlp_forward(X2, layers2)
dA_out2 = np.array([[0.5], [-1.0]])
expected_dW2 = [[-0.01588198445], [-0.08203549304], [-0.01181471766]]
expected_db2 = [-0.1270575262]
expected_dW1 = [[0.025667968, -0.01683805961, 0.05064017075], [0.007197697334, -0.0053613548, 0.02422242402]]
got = run(mlp_backward, acts2, layers2, dA_out2)
check_true(isinstance(got, (list, tuple)) and len(got) == 2, what="mlp_backward on a 2-3-1 network",
           mistake="wrong_return", problem="expected a list of one (dW, db) pair per layer")
check_array(got[1][0], expected_dW2, what="mlp_backward: dW2 of a 2-3-1 network",
            variants=[("grads_reversed", expected_dW1)])
check_array(got[1][1], expected_db2, what="mlp_backward: db2", variants=[("bias_not_summed", [[0.120466205], [-0.2475237312]])])
check_array(got[0][0], expected_dW1, what="mlp_backward: dW1", variants=[("grads_reversed", expected_dW2)])
print("✓ mlp_backward")

# %% [markdown]
# **The 0.875 regression program's network, checked.** It uses the ½·sum squared error, so
# $\partial L/\partial A_L = A_L - Y$. Its first epoch's gradients, from your `mlp_backward`,
# against your `numerical_gradient` of the same loss (the program draws its weights without a
# seed; we fix one):

# %%
with using_your_code():
    rng = np.random.default_rng(3)
    X3, Y3 = np.array([[0.6, 0.4]]), np.array([[0.875]])
    net3 = [(rng.normal(size=(2, 2)), rng.normal(size=2)), (rng.normal(size=(2, 2)), rng.normal(size=2)),
            (rng.normal(size=(2, 1)), rng.normal(size=1))]
    acts3 = mlp_forward(X3, net3)
    grads3 = mlp_backward(acts3, net3, acts3[-1] - Y3)
    half_sum_loss = lambda layers: 0.5 * float(np.sum((mlp_forward(X3, layers)[-1] - Y3) ** 2))
    for l, ((W, b), (dW, db)) in enumerate(zip(net3, grads3), start=1):
        num_W = numerical_gradient(lambda v: half_sum_loss(net3[:l - 1] + [(v, b)] + net3[l:]), W)
        num_b = numerical_gradient(lambda v: half_sum_loss(net3[:l - 1] + [(W, v)] + net3[l:]), b)
        err_W, err_b = relative_error(dW, num_W), relative_error(db, num_b)
        print(f"layer {l}: dW relative error {err_W:.1e}, db {err_b:.1e}  {verdict(max(err_W, err_b))}")

# %% [markdown]
# ## 9 · The stock-price model: a regression, one full backward pass
#
# The stock-price model, a classic backpropagation example, predicts tomorrow's price from today's open, close and
# volume, with MSE. The prices here are **synthetic** (`course.data.make_stock_days`: a
# random walk with momentum, its docstring says exactly how), standardised. The model:
# 3 inputs, 4 sigmoid hidden units, 1 **linear** output (a price can be any number), so the
# output layer has no activation and $dZ_2$ is just MSE's gradient from notebook 02,
# $2(\hat y - y)/N$.

# %%
with using_your_code():
    X_days, y_days = data.make_stock_days(120, seed=0)
    rng = np.random.default_rng(0)
    Ws = [rng.normal(0, 0.5, size=(3, 4)), rng.normal(0, 0.5, size=(4, 1))]
    bs = [np.zeros(4), np.zeros(1)]

    def stock_loss(Ws, bs):
        A1 = sigmoid(X_days @ Ws[0] + bs[0])
        return float(np.mean((A1 @ Ws[1] + bs[1] - y_days) ** 2))

    A1s = sigmoid(X_days @ Ws[0] + bs[0])
    pred = A1s @ Ws[1] + bs[1]
    dZ2s = 2 * (pred - y_days) / y_days.size                  # MSE's gradient (notebook 02)
    dA1s, dW2s, db2s = dense_backward(dZ2s, A1s, Ws[1])       # linear output layer
    dZ1s = sigmoid_backward(dA1s, A1s)
    _, dW1s, db1s = dense_backward(dZ1s, X_days, Ws[0])

    checks = {"dW1": (dW1s, numerical_gradient(lambda v: stock_loss([v, Ws[1]], bs), Ws[0])),
              "db1": (db1s, numerical_gradient(lambda v: stock_loss(Ws, [v, bs[1]]), bs[0])),
              "dW2": (dW2s, numerical_gradient(lambda v: stock_loss([Ws[0], v], bs), Ws[1])),
              "db2": (db2s, numerical_gradient(lambda v: stock_loss(Ws, [bs[0], v]), bs[1]))}
    for name, (analytic, numeric) in checks.items():
        err = relative_error(analytic, numeric)
        print(f"{name}: relative error {err:.1e}  {verdict(err)}")

    lr = 0.5
    before = stock_loss(Ws, bs)
    after = stock_loss([Ws[0] - lr * dW1s, Ws[1] - lr * dW2s], [bs[0] - lr * db1s, bs[1] - lr * db2s])
    print(f"one gradient-descent step (lr {lr}): MSE {before:.4f} -> {after:.4f}")

# %% [markdown]
# ## 10 · A first look at vanishing gradients
#
# Every sigmoid layer multiplies the gradient it passes back by the sigmoid's local derivative,
# which is at most $\tfrac14$ (its value at $z = 0$, §3). From the last layer of a ten-layer
# network back to the first, that is nine such factors: together at most
# $4^{-9} \approx 4 \cdot 10^{-6}$, and unless the weights make up for it, the first layer's
# gradient is that much smaller than the last one's. Below, a 10-layer sigmoid network of width 8
# (weights $\mathcal N(0, 1/8)$), one batch, and the size of each layer's weight gradient from
# your `mlp_backward`: the last layer's is about $2 \cdot 10^6$ times the first layer's, so the
# first layers barely learn. That is even more than the $4^9$ the sigmoids alone account for: on
# the way back the gradient is also multiplied by each layer's weights, and these small weights
# (about $0.35$ each, 8 per unit) shrink it further instead of making up for it. (Notebook 04
# compares ReLU and what depth does to training.)

# %%
with using_your_code():
    rng = np.random.default_rng(4)
    deep = [(rng.normal(0, 1 / np.sqrt(8), size=(8, 8)), np.zeros(8)) for _ in range(10)]
    X_deep = rng.normal(size=(32, 8))
    acts_deep = mlp_forward(X_deep, deep)
    grads_deep = mlp_backward(acts_deep, deep, np.ones_like(acts_deep[-1]) / acts_deep[-1].size)
    norms = [np.linalg.norm(dW) for dW, _ in grads_deep]
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.semilogy(range(1, 11), norms, "o-")
    ax.set(xlabel="layer (1 = nearest the input)", ylabel="‖dW‖", title="gradient size per layer, sigmoid")
    plots.show(fig, alt=f"Gradient size ‖dW‖ per layer of a 10-layer sigmoid network, log scale: "
                        f"layer 1 {norms[0]:.2g}, layer 10 {norms[-1]:.2g}.")
    print(f"last layer's ‖dW‖ / first layer's: {norms[-1] / norms[0]:.1e}   (4^9 = {4 ** 9:.1e})")

# %% [markdown]
# ## 11 · An autograd engine: `Value`
#
# Sections 3 to 8 wrote each layer's backward pass by hand. A framework such as PyTorch does
# not: while the forward pass runs, it **records** every operation, and each operation knows
# only its own local derivative. `loss.backward()` then walks the record from the loss back,
# applying the chain rule of §1 node by node. This section builds the smallest such engine, on
# single numbers: a `Value`.
#
# A `Value` holds
#
# * `.data`, its number;
# * `.grad`, $\partial L/\partial\,\text{this node}$, 0.0 until a backward pass fills it in;
# * `._prev`, the `Value`s it was computed from (a number in `2 * v` becomes a `Value` too);
# * `._backward`, a small function made by the operation that created the node. Called once
#   `out.grad` is known, it passes the gradient on: to each input's `.grad` it **adds**
#   `out.grad` × (the local derivative of `out` with respect to that input).
#
# **Add, never assign.** In `c = a * a` the node `a` is used twice, and $\partial c/\partial a$
# is the sum of what each use contributes (§1: a node that feeds several others adds up what
# comes back from each). Likewise when `a` feeds two later nodes, each of their `_backward`s adds
# its share. So a `_backward` writes `node.grad += ...`; an `=` would throw away the shares that
# arrived before.
#
# ### 11.1 · Arithmetic
#
# The class below is complete except for four local derivatives, those of `a + b`, `a * b`,
# `a / b` and `a ** n` (with `n` a plain number: an integer, negative or fractional). What is
# given, do not change: numbers are turned into `Value`s, and `-a`, `a - b`, `2 * a`, `1 - a`,
# `1 / a` are built from the four core operations. For the division, write $a/b$ as
# $a \cdot b^{-1}$ and use the power rule for the derivative with respect to $b$. Check your
# signs with numbers: does $a/b$ grow or shrink when $b$ grows a little?
#
# A single step is easy to test without a backward pass: build `c = a * b`, set `c.grad = 1.0`
# by hand, call `c._backward()` and read `a.grad` and `b.grad`.
#
# **Exercise 11.1 (3 points).** In the class below, write the bodies of `backward_add`,
# `backward_mul`, `backward_div` and `backward_pow`.

# %% kind="solution" grade_id="value_arithmetic"
class Value:
    """A number that remembers how it was computed, so gradients can flow back through it.

    v.data: the number (a float).  v.grad: dL/dv, 0.0 until a backward pass fills it in.
    v._prev: the Values v was computed from.  v._backward(): passes v.grad on to them.
    """

    def __init__(self, data, _prev=(), _op=""):
        self.data = float(data)
        self.grad = 0.0
        self._prev = tuple(_prev)
        self._op = _op                      # which operation made this node, for printing
        self._backward = lambda: None       # a leaf (an input, a weight) passes nothing on

    def __repr__(self):
        return f"Value(data={self.data:.6g}, grad={self.grad:.6g})"

    @staticmethod
    def lift(x):
        """x as a Value: a Value stays itself, a number becomes a new leaf."""
        return x if isinstance(x, Value) else Value(x)

    def __add__(self, other):
        """self + other: a new Value whose _backward passes out.grad on to self and other."""
        other = self.lift(other)
        out = Value(self.data + other.data, (self, other), "+")

        def backward_add():
            ### BEGIN SOLUTION
            self.grad += out.grad
            other.grad += out.grad
            ### END SOLUTION
        out._backward = backward_add
        return out

    def __mul__(self, other):
        """self * other: a new Value whose _backward passes out.grad on to self and other."""
        other = self.lift(other)
        out = Value(self.data * other.data, (self, other), "*")

        def backward_mul():
            ### BEGIN SOLUTION
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
            ### END SOLUTION
        out._backward = backward_mul
        return out

    def __truediv__(self, other):
        """self / other: a new Value whose _backward passes out.grad on to self and other."""
        other = self.lift(other)
        out = Value(self.data / other.data, (self, other), "/")

        def backward_div():
            ### BEGIN SOLUTION
            self.grad += out.grad / other.data
            other.grad += -self.data / other.data ** 2 * out.grad
            ### END SOLUTION
        out._backward = backward_div
        return out

    def __pow__(self, n):
        """self ** n for a plain number n (not a Value): a new Value whose _backward passes out.grad on to self."""
        assert isinstance(n, (int, float)), "the exponent must be a plain number"
        out = Value(self.data ** n, (self,), f"**{n}")

        def backward_pow():
            ### BEGIN SOLUTION
            self.grad += n * self.data ** (n - 1) * out.grad
            ### END SOLUTION
        out._backward = backward_pow
        return out

    # built from the four above: nothing to write
    def __neg__(self):
        return self * -1

    def __sub__(self, other):
        return self + (-self.lift(other))

    def __radd__(self, other):              # other + self, when other is a number
        return self + other

    def __rsub__(self, other):
        return self.lift(other) - self

    def __rmul__(self, other):
        return self * other

    def __rtruediv__(self, other):
        return self.lift(other) / self

# %% kind="test" grade_id="test_value_arithmetic" points=3
### BEGIN HIDDEN TESTS
try:
    from grader import backprop_by_hand as hidden
except ImportError:
    raise AssertionError(NO_GRADER) from None
hidden.check_value_arithmetic(Value)
### END HIDDEN TESTS


def one_step(expression, *numbers, out_grad=1.0):
    """Build expression(Value(n), ...), set out.grad, run out._backward() once; the inputs' grads."""
    inputs = [Value(n) for n in numbers]
    out = expression(*inputs)
    out.grad = out_grad
    out._backward()
    return [v.grad for v in inputs]


check_array(run(one_step, lambda a, b: a + b, 2.0, -3.0, out_grad=0.5), [0.5, 0.5], what="a + b, out.grad = 0.5: (a.grad, b.grad)",
            variants=[("value_out_grad_ignored", [1.0, 1.0])])
check_array(run(one_step, lambda a, b: a * b, 2.0, -3.0, out_grad=0.5), [-1.5, 1.0], what="a * b at a = 2, b = -3, out.grad = 0.5",
            variants=[("mul_own_value", [1.0, -1.5]), ("value_out_grad_ignored", [-3.0, 2.0])])
check_array(run(one_step, lambda a: a * a, 3.0), [6.0], what="a * a at a = 3: a.grad",
            variants=[("grad_overwritten", [3.0])])
check_array(run(one_step, lambda a, b: a / b, 3.0, 2.0), [0.5, -0.75], what="a / b at a = 3, b = 2",
            variants=[("div_derivative_sign", [0.5, 0.75]), ("div_as_product", [2.0, 3.0]),
                      ("div_local_wrong", [0.5, -0.25]), ("div_local_wrong", [0.5, -1.5])])
check_array(run(one_step, lambda a: a ** 3, 2.0), [12.0], what="a ** 3 at a = 2",
            variants=[("pow_missing_n", [4.0]), ("pow_missing_minus_one", [24.0])])
check_array(run(one_step, lambda a: a ** -0.5, 4.0), [-0.0625], what="a ** -0.5 at a = 4",
            variants=[("pow_missing_n", [0.125]), ("pow_missing_minus_one", [-0.25])])
check_array(run(one_step, lambda a: 2 * a, 5.0), [2.0], what="2 * a (a number on the left)")
check_array(run(one_step, lambda a: 1 / a, 4.0), [-0.0625], what="1 / a at a = 4",
            variants=[("div_derivative_sign", [0.0625])])
print("✓ Value: + * / **")

# %% [markdown]
# ### 11.2 · The functions a network needs
#
# Now `exp`, `log`, `tanh`, `sigmoid` and `relu`, each a method: `v.tanh()` is a new `Value`.
# The forward numbers are given; you write each local derivative.
#
# * `exp` and `log`: the derivatives you know from calculus (`log` is the natural logarithm,
#   defined for positive inputs).
# * `sigmoid`: §3 derived its derivative in terms of its **output**, which `out.data` holds.
# * `tanh`: like the sigmoid's, its derivative is a function of its output $t = \tanh(z)$
#   alone. Derive it from $\tanh = \sinh/\cosh$ with the quotient rule and
#   $\cosh^2 - \sinh^2 = 1$; check it at $z = 0$, where the slope is 1.
# * `relu`: §3's convention, slope 1 where the input is positive and 0 elsewhere (0 at exactly 0).
#
# The cell extends the class above: `class Value(Value)` makes a new `Value` with everything
# the old one had, plus these methods. (Run the cell above first; after changing it, run both
# again.)
#
# **Exercise 11.2 (2 points).** In the class below, write the bodies of `backward_exp`,
# `backward_log`, `backward_tanh`, `backward_sigmoid` and `backward_relu`.

# %% kind="solution" grade_id="value_functions"
class Value(Value):
    """Value with exp, log, tanh, sigmoid and relu, each a method returning a new Value."""

    def exp(self):
        """e to the power self: a new Value whose _backward passes out.grad on to self."""
        out = Value(math.exp(self.data), (self,), "exp")

        def backward_exp():
            ### BEGIN SOLUTION
            self.grad += out.data * out.grad
            ### END SOLUTION
        out._backward = backward_exp
        return out

    def log(self):
        """The natural logarithm of self (self.data > 0): a new Value whose _backward passes out.grad on to self."""
        out = Value(math.log(self.data), (self,), "log")

        def backward_log():
            ### BEGIN SOLUTION
            self.grad += out.grad / self.data
            ### END SOLUTION
        out._backward = backward_log
        return out

    def tanh(self):
        """tanh(self): a new Value whose _backward passes out.grad on to self."""
        out = Value(math.tanh(self.data), (self,), "tanh")

        def backward_tanh():
            ### BEGIN SOLUTION
            self.grad += (1 - out.data ** 2) * out.grad
            ### END SOLUTION
        out._backward = backward_tanh
        return out

    def sigmoid(self):
        """The logistic sigmoid of self: a new Value whose _backward passes out.grad on to self."""
        x = self.data
        s = 1 / (1 + math.exp(-x)) if x >= 0 else math.exp(x) / (1 + math.exp(x))   # never overflows
        out = Value(s, (self,), "sigmoid")

        def backward_sigmoid():
            ### BEGIN SOLUTION
            self.grad += out.data * (1 - out.data) * out.grad
            ### END SOLUTION
        out._backward = backward_sigmoid
        return out

    def relu(self):
        """max(self, 0): a new Value whose _backward passes out.grad on to self."""
        out = Value(max(self.data, 0.0), (self,), "relu")

        def backward_relu():
            ### BEGIN SOLUTION
            self.grad += (1.0 if self.data > 0 else 0.0) * out.grad
            ### END SOLUTION
        out._backward = backward_relu
        return out

# %% kind="test" grade_id="test_value_functions" points=2
### BEGIN HIDDEN TESTS
try:
    from grader import backprop_by_hand as hidden
except ImportError:
    raise AssertionError(NO_GRADER) from None
hidden.check_value_functions(Value)
### END HIDDEN TESTS
check_array(run(one_step, lambda a: a.exp(), 0.0, out_grad=2.0), [2.0], what="a.exp() at a = 0, out.grad = 2",
            variants=[("value_out_grad_ignored", [1.0])])
check_array(run(one_step, lambda a: a.log(), 4.0), [0.25], what="a.log() at a = 4",
            variants=[("log_derivative_one", [1.0]), ("log_derivative_input", [4.0]),
                      ("value_function_on_output", [0.7213475204444817])])
check_array(run(one_step, lambda a: a.tanh(), 0.0), [1.0], what="a.tanh() at a = 0")
check_array(run(one_step, lambda a: a.tanh(), 0.5), [0.7864477329659274], what="a.tanh() at a = 0.5",
            variants=[("tanh_derivative_input", [0.75]), ("tanh_derivative_unsquared", [0.5378828427399902]),
                      ("value_function_on_output", [0.8135416951711528])])
check_array(run(one_step, lambda a: a.sigmoid(), 0.0), [0.25], what="a.sigmoid() at a = 0",
            variants=[("sigmoid_missing_one_minus", [0.5]), ("sigmoid_derivative_input", [0.0]),
                      ("value_function_on_output", [0.2350037122015945])])
check_array(run(one_step, lambda a: a.relu(), -2.0), [0.0], what="a.relu() at a = -2",
            variants=[("relu_slope_everywhere", [1.0]), ("value_relu_input", [-2.0])])
check_array(run(one_step, lambda a: a.relu(), 3.0), [1.0], what="a.relu() at a = 3",
            variants=[("value_relu_input", [3.0]), ("relu_slope_inverted", [0.0])])
check_array(run(one_step, lambda a: a.relu(), 0.0), [0.0], what="a.relu() at exactly a = 0 (slope 0, as in §3)",
            variants=[("relu_backward_ge", [1.0])])
print("✓ Value: exp log tanh sigmoid relu")

# %% [markdown]
# ### 11.3 · `backward`: the whole graph, in the right order
#
# `L.backward()` fills in $\partial L/\partial v$ for every `Value` $v$ that $L$ was computed
# from. It has three jobs:
#
# 1. **Start at the output.** $\partial L/\partial L = 1$: set `L.grad` before anything else runs.
# 2. **Order the nodes.** A node may run its `_backward` only when its own `.grad` is complete,
#    that is, after **every** node that uses it has run theirs. A *topological order* lists each
#    node after all its inputs; its reverse is exactly what we need. Build it depth-first: to
#    place a node, first place each of its inputs (`_prev`), then append the node itself; skip
#    nodes already placed, so each appears once.
# 3. **Run** each node's `_backward` once, in the reverse of that order.
#
# Why not simply recurse from the output, each node running its `_backward` and then its
# inputs'? Take the graph of the test below: $u = 2x$, $v = -3u$, $L = u \cdot v$ at $x = 1$. The node $u$ is
# used by $L$ directly and, one step deeper, by $v$. Depth-first from $L$, running each node when
# first reached, $u$ comes straight after $L$ and passes its gradient on **before** $v$ has added
# its share, so $x$ misses the path through $v$: $-12$ instead of $-24$. A recursion that keeps no
# record of the nodes it has visited runs $u$ twice and passes the first share on twice: $-36$.
# The reverse topological order runs $L$, then $v$, then $u$, then $x$.
#
# **Exercise 11.3 (3 points).** Write the body of `backward`. The test after it (1 point) then
# checks the whole engine on expressions of every operation.

# %% kind="solution" grade_id="value_backward"
class Value(Value):
    """Value with backward(), which fills in .grad of every Value this one was computed from."""

    def backward(self):
        """Set .grad of this node and of every node it was computed from to dL/dnode, L being this node.

        Runs each node's _backward once, in reverse topological order. Returns None.
        """
        ### BEGIN SOLUTION
        order, placed = [], set()

        def place(node):
            if node not in placed:
                placed.add(node)
                for parent in node._prev:
                    place(parent)
                order.append(node)
        place(self)
        self.grad = 1.0
        for node in reversed(order):
            node._backward()
        ### END SOLUTION

# %% kind="test" grade_id="test_value_backward" points=3
### BEGIN HIDDEN TESTS
try:
    from grader import backprop_by_hand as hidden
except ImportError:
    raise AssertionError(NO_GRADER) from None
hidden.check_value_backward(Value)
### END HIDDEN TESTS


def diamond():
    """u = 2x, v = -3u, L = u * v at x = 1; returns the grads of x, u, v and L."""
    x = Value(1.0)
    u = x * 2
    v = u * -3
    L = u * v
    L.backward()
    return [x.grad, u.grad, v.grad, L.grad]


check_array(run(diamond), [-24.0, -12.0, 2.0, 1.0], what="u = 2x, v = -3u, L = u·v at x = 1: (x, u, v, L).grad",
            variants=[("output_grad_not_set", [0.0, 0.0, 0.0, 0.0]), ("backward_not_topological", [-12.0, -12.0, 2.0, 1.0]),
                      ("backward_not_topological", [-36.0, -12.0, 2.0, 1.0]), ("topo_not_reversed", [0.0, -6.0, 2.0, 1.0])])
print("✓ Value.backward")

# %% kind="test" grade_id="test_value_engine" points=1
### BEGIN HIDDEN TESTS
try:
    from grader import backprop_by_hand as hidden
except ImportError:
    raise AssertionError(NO_GRADER) from None
hidden.check_value_expressions(Value)
### END HIDDEN TESTS


def engine_example():
    """L = (x y + 2) x - y / 3 + tanh(1 - x) at x = 1, y = -3."""
    x, y = Value(1.0), Value(-3.0)
    L = (x * y + 2) * x - y / 3 + (1 - x).tanh()
    L.backward()
    return [L.data, x.grad, y.grad]


check_array(run(engine_example), [0.0, -5.0, 2 / 3], what="L = (x·y + 2)·x - y/3 + tanh(1 - x) at x = 1, y = -3: "
                                                          "(L.data, x.grad, y.grad)")
print("✓ the engine: numbers on both sides, a node used twice, a function")

# %% [markdown]
# ## 12 · The worked example, by the engine
#
# Now the network of §2 once more, built from `Value`s: each input, weight and bias a leaf, each
# product and sum a node: the graph of §1 in finer steps. One `L_v.backward()` finds all nine gradients,
# with no backward pass written for this network. Beside them: your `two_layer_backprop` (§6) and
# your `numerical_gradient` (§5) of the same loss.

# %%
with using_your_code():
    xv = [Value(v) for v in x_col]
    W1v = [[Value(w) for w in row] for row in W1_col]      # the example's layout: row j = the weights into unit j
    b1v = [Value(b) for b in b1_col]
    W2v = [Value(w) for w in W2_col]
    b2v = Value(b2_col)
    z1v = [W1v[j][0] * xv[0] + W1v[j][1] * xv[1] + b1v[j] for j in range(2)]
    a1v = [z.sigmoid() for z in z1v]
    z2v = W2v[0] * a1v[0] + W2v[1] * a1v[1] + b2v
    yhat_v = z2v.sigmoid()
    L_v = -(y_example * yhat_v.log() + (1 - y_example) * (1 - yhat_v).log())
    L_v.backward()

    params = {"W1": W1, "b1": b1, "W2": W2, "b2": b2}
    loss4, grads4 = two_layer_backprop(X4, y4, W1, b1, W2, b2)

    def example_loss(**changed):
        p = dict(params, **changed)
        out = sigmoid(sigmoid(X4 @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"])
        return float(np.mean(-(y4 * np.log(out) + (1 - y4) * np.log(1 - out))))

    numeric = {name: numerical_gradient(lambda v, name=name: example_loss(**{name: v}), value)
               for name, value in params.items()}
    engine = {"W1": np.array([[W1v[j][i].grad for j in range(2)] for i in range(2)]),   # course layout: W1[i, j]
              "b1": np.array([b.grad for b in b1v]), "W2": np.array([[w.grad] for w in W2v]), "b2": np.array([b2v.grad])}
    print(f"loss: engine {L_v.data:.10f}   two_layer_backprop {loss4:.10f}")
    print(f"{'':9s}{'engine':>14s}{'two_layer_backprop':>20s}{'numerical':>14s}")
    for name in params:
        for index in np.ndindex(params[name].shape):
            label = f"d{name}[{', '.join(map(str, index))}]"
            print(f"{label:9s}{engine[name][index]:14.9f}{grads4['d' + name][index]:20.9f}{numeric[name][index]:14.9f}")
    gap_hand = max(float(np.max(np.abs(engine[k] - grads4["d" + k]))) for k in params)
    err_numeric = max(relative_error(engine[k], numeric[k]) for k in params)
    print(f"largest |engine - two_layer_backprop|: {gap_hand:.1e};  relative error engine vs numerical: "
          f"{err_numeric:.1e}  {verdict(err_numeric)}")

    # the graph of §1 with the engine's numbers on it
    fig, ax = plt.subplots(figsize=(9, 4.4))
    graph = plots.ComputationGraph(ax)
    shown = {"x1": xv[0], "x2": xv[1], "z1_1": z1v[0], "z1_2": z1v[1], "a1_1": a1v[0], "a1_2": a1v[1],
             "z2": z2v, "yhat": yhat_v, "L": L_v}
    graph.update(values={k: f"{v.data:.4f}" for k, v in shown.items()},
                 grads={k: f"{v.grad:.4f}" for k, v in shown.items()}, active=set(),
                 weights={("x1", "z1_1"): f"{W1v[0][0].data:g}", ("x2", "z1_1"): f"{W1v[0][1].data:g}",
                          ("x1", "z1_2"): f"{W1v[1][0].data:g}", ("x2", "z1_2"): f"{W1v[1][1].data:g}",
                          ("a1_1", "z2"): f"{W2v[0].data:g}", ("a1_2", "z2"): f"{W2v[1].data:g}"},
                 caption="the engine's numbers: .data below each node, .grad (red) above")
    plots.show(fig, alt=f"The worked example's graph with the engine's numbers: loss {L_v.data:.4f}, "
                        f"dL/dŷ {yhat_v.grad:.4f}, dL/dz2 {z2v.grad:.4f}, dL/dz1 {z1v[0].grad:.4f} and "
                        f"{z1v[1].grad:.4f}.")

# %% [markdown]
# The three columns agree: the engine and your hand-derived backward pass differ by rounding
# only (the largest difference is below $10^{-15}$), and the numerical gradient agrees with both
# to a relative error below $10^{-9}$. The picture is the graph of §1 with the engine's numbers
# on it: each node's `.data` below it and its `.grad` above it in red. (The engine's own graph
# is finer than the picture: it has a node for every product and sum.)

# %% [markdown]
# ## Summary
#
# * Backprop = the chain rule on a graph, visited backwards: upstream gradient × local derivative.
# * A sigmoid's local derivative needs only its stored output $A$; ReLU's only the sign of $Z$.
# * A dense layer's three gradients each follow from $Z = XW + b$, entry by entry; the shapes say
#   which product is which, and the bias's gradient sums over the batch.
# * Check every gradient with centered differences and a relative error, in float64.
# * The worked example reproduces to the digits it shows, apart from one rounding slip in its $dW_2$.
# * An autograd engine records each operation with its local derivative, then runs them back in
#   reverse topological order, adding (never assigning) each node's shares.
#
# Next, **04 · XOR training**: put the forward pass, the loss and these gradients in a loop.
