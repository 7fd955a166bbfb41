# %% [markdown]
# # 01 · The forward pass
#
# A neural network makes a prediction by pushing numbers **forward**: inputs are
# multiplied by weights, shifted by biases, squashed by an activation, and handed to
# the next layer. In this notebook you write every piece of that in NumPy:
#
# | § | you write | points |
# |---|---|---|
# | 2 | `sigmoid(z)`, numerically stable | 3 |
# | 3 | `relu(z)` | 1 |
# | 5 | `dense_forward(X, W, b)`: a layer of neurons | 2 |
# | 6 | `softmax(z)`, row-wise and stable | 3 |
# | 7 | `mlp_forward(X, layers, activation)`: a whole network | 3 |
# | 9 | `predict_spam(X, w, b, threshold)`: the spam filter | 2 |
#
# **Time.** Plan for about 2 hours: reading, the exercises, and the experiments.
#
# **How to work.** Run the cells from the top. Replace each `raise NotImplementedError()`
# with your code, then run the test cell below it: a test that passes prints ✓; one that
# fails says what it checked, what it expected, what it got, and, when it recognises the
# mistake, its name and a hint. When you submit, hidden tests check the same functions
# on other shapes and values, so make them general, not fitted to the examples. Grading
# runs the setup cell, your answer cells and the test cells, nothing else: keep what an
# answer needs (a helper function, an import) inside its answer cell.
#
# **Conventions used in the whole course.** One sample per **row**: a batch `X` has shape
# `(n, d_in)`, a weight matrix `W` has shape `(d_in, d_out)`, a bias `b` has shape
# `(d_out,)`, and a layer computes `Z = X @ W + b`. Numbers are float64. Functions never
# change their arguments in place.

# %% kind="readonly" grade_id="setup"
import numpy as np

from course import data, plots, widgets
from course.checks import NO_GRADER, call, check_array, check_sequence, check_true, run, using_your_code

np.set_printoptions(precision=4, suppress=True)

# %%
import matplotlib.pyplot as plt      # the pictures (not part of the setup: grading draws none)

# %% [markdown]
# ## 1 · One neuron
#
# A neuron with inputs $x_1, \dots, x_d$ has one weight per input and a bias. It
# computes a weighted sum, the **pre-activation**
#
# $$z = x_1 w_1 + x_2 w_2 + \dots + x_d w_d + b = \mathbf{x} \cdot \mathbf{w} + b,$$
#
# and passes it through an **activation function** $a = \sigma(z)$. The weights say how
# much each input matters and in which direction; the bias says how easily the neuron
# fires at all. Here is one neuron with three inputs, worked by NumPy:

# %%
x = np.array([0.5, -1.0, 2.0])
w = np.array([0.4, 0.3, -0.2])
b = 0.1
z = x @ w + b          # 0.5*0.4 + (-1.0)*0.3 + 2.0*(-0.2) + 0.1
print("z =", z)        # -0.4: this neuron leans towards "no"

# %% [markdown]
# ## 2 · The sigmoid, computed stably
#
# The sigmoid squashes any real number into $(0, 1)$, so its output reads as a probability:
#
# $$\sigma(z) = \frac{1}{1 + e^{-z}}, \qquad \sigma(0) = \tfrac12, \qquad \sigma(-z) = 1 - \sigma(z).$$
#
# Written as it stands, it breaks for large negative $z$: $e^{-z} = e^{1000}$ does not fit
# in a float64 (the largest is about $1.8 \times 10^{308} \approx e^{709.8}$), so NumPy
# returns `inf` with an *overflow* warning. The way out is to never exponentiate a
# positive number. For $z \ge 0$ use the formula above; for $z < 0$ multiply top and
# bottom by $e^{z}$:
#
# $$\sigma(z) = \frac{e^{z}}{1 + e^{z}} \quad (z < 0),$$
#
# where $e^{z} \le 1$. Both branches are the same function; each is safe on its own half.
# (`np.where` evaluates both branches everywhere, so compute the exponential of
# $-|z|$, which is always safe, and build both branches from it.)
#
# **Exercise 2.1 (3 points).** Write `sigmoid(z)` for an array of any shape. No overflow
# warning and no NaN for $|z|$ up to 1000.

# %% kind="solution" grade_id="sigmoid"
def sigmoid(z):
    """The logistic function σ, element-wise.

    z: array of any shape. Returns a float array of the same shape, values in [0, 1],
    with no overflow warning and no NaN for |z| up to 1000.
    """
    ### BEGIN SOLUTION
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))                      # in (0, 1]: never overflows
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    ### END SOLUTION

# %% kind="test" grade_id="test_sigmoid_values" points=2
### BEGIN HIDDEN TESTS
try:
    from grader import forward_pass as hidden
except ImportError:
    raise AssertionError(NO_GRADER) from None
hidden.check_sigmoid(sigmoid)
### END HIDDEN TESTS
z = np.array([-2.0, 0.0, 3.0])
s = np.array([0.11920292, 0.5, 0.95257413])
check_array(run(sigmoid, z), s, what="sigmoid([-2, 0, 3])",
            variants=[("sigmoid_sign", 1 - s), ("sigmoid_derivative", s * (1 - s))])
Z = np.array([[0.0, 1.0, -1.0], [2.0, -2.0, 0.5]])
check_array(run(sigmoid, Z) + run(sigmoid, -Z), np.ones((2, 3)), what="sigmoid(Z) + sigmoid(-Z) for Z of shape (2, 3)")
print("✓ sigmoid: values and shapes")

# %% kind="test" grade_id="test_sigmoid_stable" points=1
### BEGIN HIDDEN TESTS
try:
    from grader import forward_pass as hidden
except ImportError:
    raise AssertionError(NO_GRADER) from None
hidden.check_sigmoid_stable(sigmoid)
### END HIDDEN TESTS
z = np.array([-1000.0, -50.0, 50.0, 1000.0])
got, warned = call(sigmoid, z, what="sigmoid([-1000, -50, 50, 1000])")
check_array(got, [0.0, 1.9287498479639178e-22, 1.0, 1.0], what="sigmoid([-1000, -50, 50, 1000])",
            nonfinite="unstable_sigmoid", atol=1e-12)
check_true(not warned, what="sigmoid([-1000, -50, 50, 1000])", mistake="unstable_sigmoid",
           problem="numpy warned: " + "; ".join(warned))
print("✓ sigmoid: stable for |z| up to 1000")

# %% [markdown]
# ## 3 · ReLU
#
# The rectified linear unit keeps positive numbers and replaces negative ones by 0:
#
# $$\operatorname{relu}(z) = \max(z, 0).$$
#
# It is the default activation of hidden layers in modern networks: it is cheap, and
# its slope is 1 wherever it is active, which matters for learning (notebook 04).
#
# **Exercise 3.1 (1 point).** Write `relu(z)` for an array of any shape. Careful:
# `np.max` reduces an array to its largest entry; the element-wise maximum is `np.maximum`.

# %% kind="solution" grade_id="relu"
def relu(z):
    """The rectified linear unit, element-wise. z: array of any shape; returns a float array of that shape."""
    ### BEGIN SOLUTION
    return np.maximum(np.asarray(z, dtype=float), 0.0)
    ### END SOLUTION

# %% kind="test" grade_id="test_relu" points=1
### BEGIN HIDDEN TESTS
try:
    from grader import forward_pass as hidden
except ImportError:
    raise AssertionError(NO_GRADER) from None
hidden.check_relu(relu)
### END HIDDEN TESTS
Z = np.array([[-1.5, 0.0, 2.0], [3.0, -0.5, 1.0]])
check_array(run(relu, Z), [[0.0, 0.0, 2.0], [3.0, 0.0, 1.0]], what="relu(Z) for Z of shape (2, 3)",
            variants=[("relu_max", np.max(Z, axis=0)), ("relu_abs", np.abs(Z))])
print("✓ relu")

# %% [markdown]
# ## 4 · What one neuron sees
#
# A neuron with two inputs can be drawn: colour every point $(x_1, x_2)$ of the plane by
# the neuron's output. The **decision line** is where $z = w_1 x_1 + w_2 x_2 + b = 0$, so
# where the sigmoid crosses 0.5; the arrow is the direction of $\mathbf{w}$, which points
# towards "yes". The explorer below runs **your** `sigmoid`. Try:
#
# * double both weights: the line stays, the transition gets sharper;
# * change only $b$: the line moves parallel to itself;
# * make $w_2 = 0$: the line stands vertical, $x_2$ no longer matters;
# * find weights that separate the circles from the crosses.

# %%
widgets.neuron_explorer(sigmoid)

# %% [markdown]
# ## 5 · A layer of neurons
#
# A **dense layer** is $d_{out}$ neurons reading the same $d_{in}$ inputs. Put each
# neuron's weights in a column of $W$ and its bias in $b$; put each sample in a row of
# $X$. Then one matrix product computes every neuron on every sample:
#
# $$Z = X W + b, \qquad \underbrace{X}_{(n,\ d_{in})}\ \underbrace{W}_{(d_{in},\ d_{out})} + \underbrace{b}_{(d_{out},)} = \underbrace{Z}_{(n,\ d_{out})},$$
#
# where $Z_{ij} = \sum_k X_{ik} W_{kj} + b_j$ is neuron $j$'s pre-activation on sample $i$.
# NumPy **broadcasts** $b$: it is added to every row.
#
# **Exercise 5.1 (2 points).** Write `dense_forward(X, W, b)`. It returns the
# pre-activations; applying the activation is a separate step.

# %% kind="solution" grade_id="dense_forward"
def dense_forward(X, W, b):
    """Pre-activations of a dense layer.

    X: (n, d_in) inputs, one sample per row.  W: (d_in, d_out) weights.  b: (d_out,) biases.
    Returns Z of shape (n, d_out): Z[i, j] is neuron j's pre-activation on sample i (no activation).
    """
    ### BEGIN SOLUTION
    return X @ W + b
    ### END SOLUTION

# %% kind="test" grade_id="test_dense_forward" points=2
### BEGIN HIDDEN TESTS
try:
    from grader import forward_pass as hidden
except ImportError:
    raise AssertionError(NO_GRADER) from None
hidden.check_dense_forward(dense_forward)
### END HIDDEN TESTS
X = np.array([[1.0, 2.0], [0.0, -1.0], [3.0, 1.0]])
W = np.array([[0.5, -1.0, 2.0, 0.0], [1.0, 0.0, -0.5, 1.0]])
b = np.array([0.1, 0.2, 0.3, -1.0])
got, _ = call(dense_forward, X, W, b, what="dense_forward(X, W, b) with X (3, 2), W (2, 4), b (4,)")
check_array(got, [[2.6, -0.8, 1.3, 1.0], [-0.9, 0.2, 0.8, -2.0], [2.6, -2.8, 5.8, 0.0]],
            what="dense_forward(X, W, b) with X (3, 2), W (2, 4), b (4,)",
            variants=[("dense_no_bias", X @ W), ("dense_activated", 1 / (1 + np.exp(-(X @ W + b))))])
check_array(run(dense_forward, X[:1], W, b), [[2.6, -0.8, 1.3, 1.0]], what="dense_forward on a batch of one")
print("✓ dense_forward")

# %% [markdown]
# ## 6 · Softmax: probabilities over several classes
#
# A sigmoid gives one probability (spam or not). For $k$ classes, the output layer has
# $k$ neurons and **softmax** turns their pre-activations (the *logits*) into a probability
# distribution, per sample, so per **row**:
#
# $$\operatorname{softmax}(z)_j = \frac{e^{z_j}}{\sum_{m=1}^{k} e^{z_m}}.$$
#
# Every entry is positive and each row sums to 1. The same overflow lurks: $e^{1000}$ is
# `inf`, and `inf / inf` is NaN. The cure: subtracting a constant $c$ from every logit of
# a row changes nothing,
#
# $$\frac{e^{z_j - c}}{\sum_m e^{z_m - c}} = \frac{e^{-c} e^{z_j}}{e^{-c} \sum_m e^{z_m}},$$
#
# so subtract each row's maximum: the largest exponent is then $e^0 = 1$. Reduce along
# `axis=1` with `keepdims=True`, so the row sums keep shape `(n, 1)` and broadcast back.
#
# **Exercise 6.1 (3 points).** Write `softmax(z)` for `z` of shape `(n, k)`.

# %% kind="solution" grade_id="softmax"
def softmax(z):
    """Row-wise softmax. z: (n, k) logits. Returns (n, k) probabilities, each row summing to 1."""
    ### BEGIN SOLUTION
    z = np.asarray(z, dtype=float)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)
    ### END SOLUTION

# %% kind="test" grade_id="test_softmax_values" points=2
### BEGIN HIDDEN TESTS
try:
    from grader import forward_pass as hidden
except ImportError:
    raise AssertionError(NO_GRADER) from None
hidden.check_softmax(softmax)
### END HIDDEN TESTS
Z = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
P, _ = call(softmax, Z, what="softmax([[1, 2, 3], [0, 0, 0]])")
check_array(P, [[0.09003057, 0.24472847, 0.66524096], [1 / 3, 1 / 3, 1 / 3]],
            what="softmax([[1, 2, 3], [0, 0, 0]])",
            variants=[("softmax_axis", np.exp(Z) / np.exp(Z).sum(axis=0)),
                      ("softmax_global", np.exp(Z) / np.exp(Z).sum())])
Z = np.random.default_rng(1).normal(size=(4, 5))
check_array(call(softmax, Z, what="softmax(Z), Z of shape (4, 5)")[0].sum(axis=1), np.ones(4),
            what="the row sums of softmax(Z), Z of shape (4, 5)",
            variants=[("softmax_axis", (np.exp(Z) / np.exp(Z).sum(axis=0)).sum(axis=1))])
print("✓ softmax: values, row sums")

# %% kind="test" grade_id="test_softmax_stable" points=1
### BEGIN HIDDEN TESTS
try:
    from grader import forward_pass as hidden
except ImportError:
    raise AssertionError(NO_GRADER) from None
hidden.check_softmax_stable(softmax)
### END HIDDEN TESTS
Z = np.array([[1000.0, 1000.0, 999.0], [-1000.0, 0.0, -5.0]])     # 2 rows, 3 columns: a shape slip shows
got, warned = call(softmax, Z, what="softmax([[1000, 1000, 999], [-1000, 0, -5]])")
check_array(got, [[0.4223188, 0.4223188, 0.1553624], [0.0, 0.99330715, 0.00669285]],
            what="softmax([[1000, 1000, 999], [-1000, 0, -5]])", nonfinite="unstable_softmax", atol=1e-8)
check_true(not warned, what="softmax([[1000, 1000, 999], [-1000, 0, -5]])", mistake="unstable_softmax",
           problem="numpy warned: " + "; ".join(warned))
print("✓ softmax: stable for logits up to ±1000")

# %% [markdown]
# ## 7 · A network: layer after layer
#
# A multi-layer perceptron (MLP) feeds each layer's activations to the next:
#
# $$A_0 = X, \qquad A_l = \sigma(A_{l-1} W_l + b_l) \quad (l = 1, \dots, L).$$
#
# Describe the network as a list `layers = [(W1, b1), (W2, b2), ...]`; the shapes must
# chain: $W_l$ has shape $(d_{l-1}, d_l)$. Return **every** activation,
# `[X, A1, ..., AL]`, not just the output: notebook 03 computes gradients from exactly
# this list, walking it backwards. Apply the activation after every layer, the last one
# included, and use the function passed as `activation` (sigmoid unless the caller says
# otherwise).
#
# **Exercise 7.1 (3 points).** Write `mlp_forward(X, layers, activation=sigmoid)` using
# your `dense_forward`.

# %% kind="solution" grade_id="mlp_forward"
def mlp_forward(X, layers, activation=sigmoid):
    """Forward pass through an MLP.

    X: (n, d_0).  layers: [(W1, b1), ..., (WL, bL)] with Wl (d_{l-1}, d_l) and bl (d_l,).
    activation: applied after every layer. Returns [X, A1, ..., AL], Al of shape (n, d_l).
    """
    ### BEGIN SOLUTION
    activations = [X]
    for W, b in layers:
        activations.append(activation(dense_forward(activations[-1], W, b)))
    return activations
    ### END SOLUTION

# %% kind="test" grade_id="test_mlp_forward" points=3
### BEGIN HIDDEN TESTS
try:
    from grader import forward_pass as hidden
except ImportError:
    raise AssertionError(NO_GRADER) from None
hidden.check_mlp_forward(mlp_forward, sigmoid)
### END HIDDEN TESTS
X = np.array([[1.0, -1.0]])
layers = [(np.array([[1.0, 0.0, -1.0], [2.0, 1.0, 0.0]]), np.array([0.0, 1.0, 0.5])),
          (np.array([[1.0], [-1.0], [2.0]]), np.array([-0.5]))]
Z1 = X @ layers[0][0] + layers[0][1]                     # [[-1, 0, -0.5]]
A1 = 1 / (1 + np.exp(-Z1))
A2 = 1 / (1 + np.exp(-(A1 @ layers[1][0] + layers[1][1])))
check_sequence(run(mlp_forward, X, layers), [X, A1, A2], what="mlp_forward on a 2-3-1 network",
               item="activations",
               variants=[("mlp_no_input", [A1, A2]), ("mlp_last_linear", [X, A1, A1 @ layers[1][0] + layers[1][1]]),
                         ("mlp_pre_activation", [X, Z1, A1 @ layers[1][0] + layers[1][1]]), ("mlp_only_output", [])])
relu_out = run(mlp_forward, X, layers, activation=relu)
check_array(relu_out[1], np.maximum(Z1, 0), what="mlp_forward(..., activation=relu): activations[1]",
            variants=[("mlp_ignores_activation", A1)])
print("✓ mlp_forward")

# %% [markdown]
# ## 8 · The 2-3-2 network, written out
#
# A common set of notes on forward propagation draws a network with 2 inputs, 3 hidden neurons and 2 outputs, and writes
# it in **column-vector** notation: weights times a column of activations,
#
# $$\sigma\!\left(\begin{bmatrix} w_1 & w_2 \\ w_3 & w_4 \\ w_5 & w_6 \end{bmatrix}
# \begin{bmatrix} a^1_1 \\ a^1_2 \end{bmatrix} + \begin{bmatrix} b_1 \\ b_2 \\ b_3 \end{bmatrix}\right)
# = \begin{bmatrix} a^2_1 \\ a^2_2 \\ a^2_3 \end{bmatrix}, \qquad
# \sigma\!\left(\begin{bmatrix} w_7 & w_8 & w_9 \\ w_{10} & w_{11} & w_{12} \end{bmatrix}
# \begin{bmatrix} a^2_1 \\ a^2_2 \\ a^2_3 \end{bmatrix} + \begin{bmatrix} b_4 \\ b_5 \end{bmatrix}\right)
# = \begin{bmatrix} a^3_1 \\ a^3_2 \end{bmatrix}.$$
#
# (The notes write $\alpha$ for some of the $a$'s; they are the same activations.) Row $j$
# of the notes' first matrix holds the weights **into** hidden neuron $j$. This course
# puts samples in rows instead, $A_1 = \sigma(X W_1 + b_1)$, and transposing both sides of
# $M a + b$ gives $a^\top M^\top + b^\top$: the course's $W_1$ is the notes' matrix
# **transposed**, shape $(2, 3)$, so *column* $j$ holds the weights into neuron $j$.
# The notes give no numbers; here are some:

# %%
M1 = np.array([[0.2, -0.4],      # w1  w2    (weights into hidden neuron 1)
               [0.7, 0.1],       # w3  w4
               [-0.5, 0.3]])     # w5  w6
M2 = np.array([[0.6, -0.3, 0.8],     # w7  w8  w9   (into output neuron 1)
               [-0.9, 0.4, 0.2]])    # w10 w11 w12
b_hidden = np.array([0.1, -0.2, 0.05])   # b1 b2 b3
b_out = np.array([0.0, 0.1])             # b4 b5
a1 = np.array([1.0, 0.5])                # the input, a^1

# The course's notation: one row per sample, W = the notes' matrix transposed.
network = [(M1.T, b_hidden), (M2.T, b_out)]

with using_your_code():
    # The notes' notation: matrices times columns.
    a2_notes = sigmoid(M1 @ a1 + b_hidden)
    a3_notes = sigmoid(M2 @ a2_notes + b_out)

    activations = mlp_forward(a1[None, :], network)     # a1[None, :] is the batch of one, shape (1, 2)
    print("hidden a2:", a2_notes, "  course:", activations[1][0])
    print("output a3:", a3_notes, "  course:", activations[2][0])
    print("same numbers:", np.allclose(a2_notes, activations[1][0]) and np.allclose(a3_notes, activations[2][0]))

# %% [markdown]
# The explorer draws this network with **your** `mlp_forward`. Move the inputs, or pick
# any of $w_1, \dots, w_{12}, b_1, \dots, b_5$ and change it: node colours and numbers are
# the activations (the colour bar is the key), line colours and widths the weights (orange positive,
# purple negative and dashed; thicker for a larger weight).
# Which weights can change output $a^3_1$ without touching $a^3_2$?

# %%
notes_names = ["w1", "w3", "w5", "w2", "w4", "w6", "b1", "b2", "b3",     # W1 = M1.T, row by row
               "w7", "w10", "w8", "w11", "w9", "w12", "b4", "b5"]        # W2 = M2.T, row by row
widgets.network_explorer(mlp_forward, network, x=a1, param_names=notes_names,
                         node_labels=[["a¹₁", "a¹₂"], ["a²₁", "a²₂", "a²₃"], ["a³₁", "a³₂"]])

# %% [markdown]
# ## 9 · The spam filter: is this email spam?
#
# The spam filter, a classic forward-propagation example: an email becomes a vector of 300 word
# frequencies, one neuron computes $z = X \cdot W + b$, a sigmoid turns $z$ into a
# probability, and *if the output is > 0.5, it's spam*.
#
# The emails here are **synthetic**: `course.data.make_spam_emails` simulates each one
# as word counts drawn from a spam or a normal-mail word distribution over a 300-word
# vocabulary (its docstring says exactly how), so the data is offline and the same on
# every machine. Each row of `X` is one email's word frequencies.

# %%
X_mail, y_mail = data.make_spam_emails(500, seed=0)
vocabulary = data.spam_vocabulary()
print("X:", X_mail.shape, " y:", y_mail.shape, f" spam share: {y_mail.mean():.2f}")
first = X_mail[0]
top = np.argsort(first)[::-1][:8]
print(f"email 0 (label {y_mail[0]}):", ", ".join(f"{vocabulary[j]} {first[j]:.2f}" for j in top))

# %% [markdown]
# Where do the 300 weights come from? **They were not learned**: nothing in this notebook
# trains anything. They are computed from the two word distributions that generated the
# emails: each word's weight is its log-odds, $\log\frac{P(\text{word} \mid \text{spam})}{P(\text{word} \mid \text{normal})}$,
# scaled to an email of average length, and the bias is the log-odds of spam before reading
# a word (`course.data.spam_detector` shows the computation). Calling them a neuron's weights
# is fair, since the neuron computes with them exactly as with learned ones, but they stand in
# for a trained detector; finding weights from examples starts in notebook 04. Positive
# weights push towards spam. The simulated vocabulary has just three kinds of words (spam
# words, normal-mail words and all the others), so the weights take only three values:

# %%
w_spam, b_spam = data.spam_detector()
for weight, count in zip(*np.unique(w_spam.round(2), return_counts=True)):
    examples = [vocabulary[j] for j in np.flatnonzero(w_spam.round(2) == weight)[:4]]
    print(f"{count:3d} words weigh {weight:+7.2f}, e.g. {', '.join(examples)}")
fig, ax = plt.subplots(figsize=(7, 2.5))
ax.bar(range(300), w_spam, width=1.0, color=np.where(w_spam > 0, "tab:red", "tab:blue"))
ax.set(xlabel="word (column of X)", ylabel="weight", title="one neuron, 300 weights")
plots.show(fig, alt=f"Bar chart of the spam filter's 300 weights, one bar per word (column of X): red bars "
                    f"push towards spam, blue towards normal; from {w_spam.min():.2f} to {w_spam.max():.2f}.")

# %% [markdown]
# **Exercise 9.1 (2 points).** Write `predict_spam(X, w, b, threshold=0.5)`: the
# probability $p = \sigma(X w + b)$ for every email, and label 1 (spam) where
# $p > \text{threshold}$, else 0. Return integers (`.astype(int)`), shape `(n,)`.
# The threshold applies to the probability, not to $z$.

# %% kind="solution" grade_id="predict_spam"
def predict_spam(X, w, b, threshold=0.5):
    """Spam labels from one sigmoid neuron.

    X: (n, d) word frequencies.  w: (d,) weights.  b: scalar bias.  threshold: a probability.
    Returns an int array of shape (n,): 1 for an email the neuron calls spam, 0 for normal mail.
    """
    ### BEGIN SOLUTION
    return (sigmoid(X @ w + b) > threshold).astype(int)
    ### END SOLUTION

# %% kind="test" grade_id="test_predict_spam" points=2
### BEGIN HIDDEN TESTS
try:
    from grader import forward_pass as hidden
except ImportError:
    raise AssertionError(NO_GRADER) from None
hidden.check_predict_spam(predict_spam, sigmoid)
### END HIDDEN TESTS
X = np.array([[0.2, 0.0], [0.0, 0.3], [0.1, 0.1]])
w = np.array([10.0, -10.0])
p = 1 / (1 + np.exp(-(X @ w + 0.5)))          # [0.924, 0.076, 0.622]
check_array(run(predict_spam, X, w, 0.5), [1, 0, 1], what="predict_spam on 3 emails", integer=True,
            variants=[("spam_probabilities", p), ("spam_inverted", [0, 1, 0]),
                      ("spam_threshold_on_z", [1, 0, 0])])     # z = X @ w + b is [2.5, -2.5, 0.5]
check_array(run(predict_spam, X, w, 0.5, threshold=0.7), [1, 0, 0], what="predict_spam(..., threshold=0.7)",
            integer=True, variants=[("spam_fixed_threshold", [1, 0, 1])])
print("✓ predict_spam")

# %% [markdown]
# Now the detector on all 500 emails. Accuracy is the share of correct labels; the two
# kinds of error are not equally bad (a lost real email costs more than a spam that gets
# through), which is why the threshold is a parameter: raise it and fewer real emails
# are flagged, at the price of more spam getting through.

# %%
with using_your_code():
    for threshold in (0.5, 0.9):
        labels = predict_spam(X_mail, w_spam, b_spam, threshold)
        caught = np.sum((labels == 1) & (y_mail == 1))
        flagged_by_mistake = np.sum((labels == 1) & (y_mail == 0))
        print(f"threshold {threshold}: accuracy {np.mean(labels == y_mail):.3f}, "
              f"spam caught {caught}/{y_mail.sum()}, real emails flagged {flagged_by_mistake}/{(y_mail == 0).sum()}")

# %% [markdown]
# ## Summary
#
# * A neuron computes $z = \mathbf{x} \cdot \mathbf{w} + b$ and an activation of it; a layer
#   does that for many neurons at once, $Z = XW + b$, with one sample per row.
# * Sigmoid and softmax need care with large inputs: never exponentiate a large positive
#   number; rewrite or shift so the exponent is $\le 0$.
# * A network is layers in a chain; keep every activation, `[X, A1, ..., AL]`.
# * The 2-3-2 network's column notation and this course's row notation differ by a transpose.
#
# Next, **02 · Loss functions**: how wrong is a prediction, measured in a way we can
# differentiate.
