# %% [markdown]
# # 02 · Loss functions
#
# A network's forward pass (notebook 01) makes a prediction $\hat y$. A **loss** turns
# "how wrong is it?" into one number, and its **gradient** with respect to the prediction
# says which way to move $\hat y$ to make it smaller. Backpropagation (notebook 03) starts
# from exactly that gradient. In this notebook you write each loss and its gradient:
#
# | § | you write | points |
# |---|---|---|
# | 2 | `mse`, `mse_grad` | 1 + 2 |
# | 3 | `mae`, `mae_grad` | 1 + 2 |
# | 4 | `huber`, `huber_grad` | 2 + 2 |
# | 6 | `binary_cross_entropy`, `binary_cross_entropy_grad` | 2 + 2 |
# | 7 | `categorical_cross_entropy`, `softmax_cross_entropy_grad` | 2 + 3 |
#
# **Time.** Plan for about 2 hours: reading, the exercises, and the experiments.
#
# **Conventions.** Arguments come in the order `(y_true, y_pred)`. A loss is a **mean**:
# over all elements for MSE, MAE, Huber and binary cross-entropy (so `N = y.size`), over
# samples (rows) for categorical cross-entropy. A loss returns one float; a gradient has
# the shape of what it differentiates, here `y_pred`. Nothing is modified in place.
#
# Run the cells from the top; each test cell prints ✓ when it passes and names the
# mistake when it recognises one.

# %% kind="readonly" grade_id="setup"
import numpy as np

from course import data, widgets
from course.checks import NO_GRADER, call, check_array, check_true, run, using_your_code
from course.gradcheck import directional_slopes, relative_error, verdict

np.set_printoptions(precision=4, suppress=True)

# %%
import matplotlib.pyplot as plt      # the pictures (not part of the setup: grading draws none)

# %% [markdown]
# ## 1 · Which loss for which task
#
# The usual loss-function notes sort the common losses by task. The short version:
#
# | task | model output | loss | why |
# |---|---|---|---|
# | regression | any real number | **MSE** | smooth, punishes large errors hard; the default |
# | regression with outliers | any real number | **MAE** or **Huber** | a wild point pulls far less |
# | binary classification | a probability $p$ (sigmoid) | **binary cross-entropy** | the log-likelihood of the labels |
# | $k$ classes, one per sample | a distribution (softmax) | **categorical cross-entropy** | the log-likelihood of the true class |
#
# A loss must be small when the prediction is right and grow as it gets worse; to learn
# by gradient descent it must also have a useful gradient. The rest of this notebook is
# about both.

# %% [markdown]
# ## 2 · Mean squared error
#
# With residuals $r_i = \hat y_i - y_i$ over all $N$ elements,
#
# $$\text{MSE} = \frac{1}{N}\sum_{i=1}^{N} (\hat y_i - y_i)^2.$$
#
# Its gradient, $\partial\,\text{MSE}/\partial \hat y_i$ for every $i$, is yours to derive:
#
# 1. Each prediction $\hat y_i$ appears in exactly one term of the sum, so only that term
#    matters. What is $\dfrac{d}{d\hat y_i}(\hat y_i - y_i)^2$?
# 2. The mean multiplies every term by $\tfrac1N$. What does that do to the derivative?
# 3. Check the sign: where $\hat y_i > y_i$ the loss grows as $\hat y_i$ grows, so your
#    gradient must be positive there. Then gradient *descent*, $\hat y \leftarrow \hat y - \eta\,\nabla$,
#    moves each prediction towards its target.
#
# For a 2-D `y_pred` of shape `(n, d)`, $N = nd$: `np.mean` and `y_pred.size` count every
# element. The tests check your result on a vector and on a `(2, 3)` batch.
#
# **Exercise 2.1 (1 + 2 points).** Write `mse(y_true, y_pred)` and `mse_grad(y_true, y_pred)`.

# %% kind="solution" grade_id="mse"
def mse(y_true, y_pred):
    """Mean squared error over all elements. y_true, y_pred: arrays of the same shape. Returns a float."""
    ### BEGIN SOLUTION
    return float(np.mean((y_pred - y_true) ** 2))
    ### END SOLUTION


def mse_grad(y_true, y_pred):
    """Gradient of mse(y_true, y_pred) with respect to y_pred. Returns an array of y_pred's shape."""
    ### BEGIN SOLUTION
    return 2 * (y_pred - y_true) / y_pred.size
    ### END SOLUTION

# %% kind="test" grade_id="test_mse" points=1
### BEGIN HIDDEN TESTS
try:
    from grader import loss_functions as hidden
except ImportError:
    raise AssertionError(NO_GRADER) from None
hidden.check_mse(mse)
### END HIDDEN TESTS
y, y_hat = np.array([1.0, 2.0, 3.0]), np.array([1.5, 2.0, 0.0])       # residuals 0.5, 0, -3
check_array(run(mse, y, y_hat), (0.25 + 0 + 9) / 3, what="mse([1, 2, 3], [1.5, 2, 0])",
            variants=[("half", (0.25 + 9) / 6), ("missing_mean", 9.25), ("rmse", np.sqrt(9.25 / 3))])
print("✓ mse")

# %% kind="test" grade_id="test_mse_grad" points=2
### BEGIN HIDDEN TESTS
try:
    from grader import loss_functions as hidden
except ImportError:
    raise AssertionError(NO_GRADER) from None
hidden.check_mse_grad(mse_grad)
### END HIDDEN TESTS
y, y_hat = np.array([1.0, 2.0, 3.0]), np.array([1.5, 2.0, 0.0])
check_array(run(mse_grad, y, y_hat), [1 / 3, 0.0, -2.0], what="mse_grad([1, 2, 3], [1.5, 2, 0])", n=3)
Y, Y_hat = np.zeros((2, 3)), np.ones((2, 3))
check_array(run(mse_grad, Y, Y_hat), np.full((2, 3), 0.3333333333), what="mse_grad for shape (2, 3): N counts all 6 elements",
            variants=[("mean_over_rows", np.full((2, 3), 2 / 2))])
print("✓ mse_grad")

# %% [markdown]
# ### The ½·sum convention (the 0.875 regression program)
#
# A classic small program that trains a 2-2-2-1 network to the target 0.875 (the 0.875
# regression program, met again in notebooks 03 and 04) uses `mse = 0.5 * np.square(x - y).sum()` and
# `dmse = x - y`. Halving the **sum** makes the 2 cancel, which is tidy on paper. It is a
# different loss, though: $\tfrac12\sum r_i^2 = \tfrac{N}{2}\,\text{MSE}$, so its gradient is
# $\tfrac{N}{2}$ times ours. With $N = 1$ (that program trains on one sample) it is exactly half;
# on a batch of 1000 it is 500 times larger, and a learning rate tuned for one convention
# is wrong for the other. This course uses the mean throughout. The two side by side:

# %%
y_batch, y_hat_batch = np.zeros(1000), np.full(1000, 0.1)
half_sum_grad = y_hat_batch - y_batch                      # the 0.875 program's dmse
with using_your_code():
    mean_grad = mse_grad(y_batch, y_hat_batch)
    print("ratio, batch of 1000:", half_sum_grad[0] / mean_grad[0])        # N / 2 = 500
    print("ratio, one sample:   ", (0.1 - 0.0) / mse_grad(np.zeros(1), np.full(1, 0.1))[0])   # 1/2

# %% [markdown]
# ## 3 · Mean absolute error
#
# $$\text{MAE} = \frac{1}{N}\sum_{i} |\hat y_i - y_i|.$$
#
# Derive its gradient the way you derived MSE's:
#
# 1. Draw $|r|$ as a function of $r$. What is its slope for $r > 0$? For $r < 0$?
# 2. With $r_i = \hat y_i - y_i$, the chain rule multiplies by $dr_i/d\hat y_i = 1$, and the
#    mean contributes its $\tfrac1N$.
# 3. At $r = 0$, $|r|$ has a corner and no derivative: any value in $[-1, 1]$ is a valid
#    *subgradient*. Use 0 there (the test expects 0 where $\hat y_i = y_i$).
#
# Before you write it, compare with step 1 for MSE: does your slope depend on how large
# the error is?
#
# **Exercise 3.1 (1 + 2 points).** Write `mae` and `mae_grad`.

# %% kind="solution" grade_id="mae"
def mae(y_true, y_pred):
    """Mean absolute error over all elements. y_true, y_pred: arrays of the same shape. Returns a float."""
    ### BEGIN SOLUTION
    return float(np.mean(np.abs(y_pred - y_true)))
    ### END SOLUTION


def mae_grad(y_true, y_pred):
    """Gradient of mae(y_true, y_pred) with respect to y_pred, 0 where y_pred equals y_true.

    Returns an array of y_pred's shape.
    """
    ### BEGIN SOLUTION
    return np.sign(y_pred - y_true) / y_pred.size
    ### END SOLUTION

# %% kind="test" grade_id="test_mae" points=1
### BEGIN HIDDEN TESTS
try:
    from grader import loss_functions as hidden
except ImportError:
    raise AssertionError(NO_GRADER) from None
hidden.check_mae(mae)
### END HIDDEN TESTS
y, y_hat = np.array([1.0, 2.0, 3.0]), np.array([1.5, 2.0, 0.0])
check_array(run(mae, y, y_hat), 3.5 / 3, what="mae([1, 2, 3], [1.5, 2, 0])",
            variants=[("missing_mean", 3.5), ("mae_no_abs", -2.5 / 3), ("mse_for_mae", 9.25 / 3)])
print("✓ mae")

# %% kind="test" grade_id="test_mae_grad" points=2
### BEGIN HIDDEN TESTS
try:
    from grader import loss_functions as hidden
except ImportError:
    raise AssertionError(NO_GRADER) from None
hidden.check_mae_grad(mae_grad)
### END HIDDEN TESTS
check_array(run(mae_grad, y, y_hat), [1 / 3, 0.0, -1 / 3], what="mae_grad([1, 2, 3], [1.5, 2, 0])", n=3,
            nonfinite="mae_grad_zero", variants=[("mae_grad_abs", [0.5 / 3, 0, 1.0])])
print("✓ mae_grad")

# %% [markdown]
# Your `mae_grad` is $\pm\frac1N$ whatever the size of the error: a point 100 units off
# pulls no harder than one 1 unit off. That is MAE's robustness to outliers (the
# loss-function notes), and also its weakness: the gradient does not shrink near the
# optimum, so plain gradient descent with a fixed step keeps overshooting: it ends up jumping
# back and forth across the target, never closer than half a step. One prediction,
# target 0, step $\eta = 0.1$, from $\hat y = 0.55$, fifty steps each:

# %%
with using_your_code():
    for name, grad in (("MSE", mse_grad), ("MAE", mae_grad)):
        y_hat_1, path = np.array([0.55]), []
        for step in range(50):
            y_hat_1 = y_hat_1 - 0.1 * grad(np.zeros(1), y_hat_1)
            path.append(y_hat_1[0])
        print(f"{name}: after 50 steps y_hat = {y_hat_1[0]:+.6f}; the last four: "
              + ", ".join(f"{v:+.6f}" for v in path[-4:]))

# %% [markdown]
# ## 4 · Outliers, and Huber in between
#
# Squaring makes MSE's gradient grow with the error: one point 10 units off pulls like
# 100 points 0.1 off. MAE's gradient does not grow at all. The **Huber loss** is quadratic
# for small residuals and linear beyond a threshold $\delta$:
#
# $$h_\delta(r) = \begin{cases} \tfrac12 r^2 & |r| \le \delta \\ \delta\,(|r| - \tfrac12\delta) & |r| > \delta. \end{cases}$$
#
# The loss is the mean of $h_\delta(\hat y_i - y_i)$ over all elements. Its gradient, in steps:
#
# 1. Inside, $|r| \le \delta$: what is $\dfrac{d}{dr}\,\tfrac12 r^2$?
# 2. Outside, $|r| > \delta$: $\delta\,(|r| - \tfrac12\delta)$ is $\delta|r|$ plus a constant; use
#    the slope of $|r|$ you found in §3.
# 3. Check that your two pieces of $h_\delta'$ agree at $r = \pm\delta$. Then say it in words:
#    "$r$, but never further from 0 than ...". NumPy has a one-call function for exactly that.
# 4. As for MSE and MAE: the chain rule through $r_i = \hat y_i - y_i$, and the $\tfrac1N$ of the mean.
#
# The ½ and the $-\tfrac12\delta$ are what make the two pieces of $h_\delta$ meet at $|r| = \delta$
# with the same value and the same slope, so the loss is smooth (unlike MAE) yet, as step 3
# shows, its gradient never grows past a bound (unlike MSE). With all residuals inside
# $\delta$, Huber is MSE/2; with $\delta$ smaller than every residual, it behaves like MAE
# scaled by $\delta$.
#
# **Exercise 4.1 (2 + 2 points).** Write `huber(y_true, y_pred, delta=1.0)` and
# `huber_grad(y_true, y_pred, delta=1.0)`.

# %% kind="solution" grade_id="huber"
def huber(y_true, y_pred, delta=1.0):
    """Mean Huber loss over all elements with threshold delta > 0.

    y_true, y_pred: arrays of the same shape. Returns a float.
    """
    ### BEGIN SOLUTION
    r = np.abs(y_pred - y_true)
    return float(np.mean(np.where(r <= delta, 0.5 * r ** 2, delta * (r - 0.5 * delta))))
    ### END SOLUTION


def huber_grad(y_true, y_pred, delta=1.0):
    """Gradient of huber(y_true, y_pred, delta) with respect to y_pred. Returns an array of y_pred's shape."""
    ### BEGIN SOLUTION
    return np.clip(y_pred - y_true, -delta, delta) / y_pred.size
    ### END SOLUTION

# %% kind="test" grade_id="test_huber" points=2
### BEGIN HIDDEN TESTS
try:
    from grader import loss_functions as hidden
except ImportError:
    raise AssertionError(NO_GRADER) from None
hidden.check_huber(huber)
### END HIDDEN TESTS
y, y_hat = np.array([1.0, 2.0, 3.0]), np.array([1.5, 2.0, 0.0])       # residuals 0.5, 0, -3
check_array(run(huber, y, y_hat), (0.125 + 0 + 2.5) / 3, what="huber([1, 2, 3], [1.5, 2, 0], delta=1)",
            variants=[("huber_no_half", (0.25 + 2.5) / 3), ("huber_no_offset", (0.125 + 3) / 3)])
check_array(run(huber, y, y_hat, delta=4.0), (0.125 + 0 + 4.5) / 3, what="huber(..., delta=4): all residuals inside delta",
            variants=[("huber_delta_ignored", 0.875)])
print("✓ huber")

# %% kind="test" grade_id="test_huber_grad" points=2
### BEGIN HIDDEN TESTS
try:
    from grader import loss_functions as hidden
except ImportError:
    raise AssertionError(NO_GRADER) from None
hidden.check_huber_grad(huber_grad)
### END HIDDEN TESTS
check_array(run(huber_grad, y, y_hat), [0.5 / 3, 0.0, -1 / 3], what="huber_grad([1, 2, 3], [1.5, 2, 0], delta=1)", n=3,
            variants=[("huber_grad_unclipped", [0.5 / 3, 0, -1.0]), ("huber_grad_sign", [1 / 3, 0, -1 / 3])])
check_array(run(huber_grad, y, y_hat, delta=0.25), [0.25 / 3, 0.0, -0.25 / 3], what="huber_grad(..., delta=0.25)", n=3,
            variants=[("huber_delta_ignored", [0.5 / 3, 0.0, -1 / 3])])
print("✓ huber_grad")

# %% [markdown]
# ## 5 · Outliers, live
#
# Twenty points near the line $y = 1.5x + 0.5$; move the red one with the **outlier y** slider.
# Each line minimises one
# loss, found from **your gradient** by iteratively reweighted least squares (`course.fit`):
# a point's weight is its gradient divided by its residual, which is constant for MSE,
# $1/|r|$ for MAE and $\min(1, \delta/|r|)$ for Huber. That ratio *is* the robustness: how
# hard a far point pulls. Try an outlier at $y = -8$, then move **Huber δ**: at 0.1 the Huber
# line lies almost on the MAE line; as $\delta$ grows it turns towards the MSE line, and it is
# the MSE line once $\delta$ is larger than every residual of that line (the outlier's, about
# 12): Huber is then MSE/2, with the same best line.

# %%
widgets.outlier_explorer(mse_grad, mae_grad, huber_grad)

# %% [markdown]
# ## 6 · Binary cross-entropy, without infinities
#
# For a label $y \in \{0, 1\}$ and a predicted probability $p = P(y = 1)$ (a sigmoid output),
# the probability the model gave to what actually happened is $p$ if $y = 1$ and $1 - p$ if
# $y = 0$. Cross-entropy is the mean negative log of it:
#
# $$\text{BCE} = -\frac{1}{N}\sum_i \big[y_i \log p_i + (1 - y_i)\log(1 - p_i)\big].$$
#
# Its gradient with respect to the probability $p_i$, in steps:
#
# 1. Only the $i$-th term contains $p_i$. What are $\dfrac{d}{dp}\log p$ and $\dfrac{d}{dp}\log(1 - p)$?
#    (Mind the chain rule in the second.)
# 2. Put $-\big[y_i\,(\ldots) + (1 - y_i)\,(\ldots)\big]$ over the common denominator
#    $p_i(1 - p_i)$ and expand the numerator: it simplifies a lot. Check it with $y_i = 1$
#    and with $y_i = 0$ separately.
# 3. Do not forget the $\tfrac1N$ of the mean.
#
# A confident wrong answer costs a lot: $-\log(0.01) \approx 4.6$, and $-\log 0 = \infty$.
# A model can output exactly 0 or 1 (a saturated sigmoid in float64), and one `inf` ruins
# a whole training run. So **clip** first: $p \leftarrow \operatorname{clip}(p, \varepsilon, 1-\varepsilon)$
# with $\varepsilon = 10^{-12}$ in this course, in the loss and in its gradient. (Libraries
# pick other tiny values; the tests accept any $\varepsilon$ from $10^{-15}$ to $10^{-6}$.)
#
# **Which gradient?** `binary_cross_entropy_grad` is the gradient with respect to the
# **probability** $p$, the one the steps above derive. The gradient with respect to the
# sigmoid's input $z$ (the *logit*) is a different function; after the exercise we compare
# the two.
#
# **Exercise 6.1 (2 + 2 points).** Write `binary_cross_entropy(y_true, p)` and
# `binary_cross_entropy_grad(y_true, p)`, both clipping `p` to `[1e-12, 1 - 1e-12]`.

# %% kind="solution" grade_id="binary_cross_entropy"
EPS = 1e-12


def binary_cross_entropy(y_true, p):
    """Mean binary cross-entropy over all elements.

    y_true: labels 0 or 1.  p: predicted probabilities of label 1, the same shape, clipped to
    [EPS, 1 - EPS]. Returns a float.
    """
    ### BEGIN SOLUTION
    p = np.clip(p, EPS, 1 - EPS)
    return float(-np.mean(y_true * np.log(p) + (1 - y_true) * np.log(1 - p)))
    ### END SOLUTION


def binary_cross_entropy_grad(y_true, p):
    """Gradient of binary_cross_entropy(y_true, p) with respect to p (not a logit), p clipped
    as in the loss. Returns an array of p's shape.
    """
    ### BEGIN SOLUTION
    p = np.clip(p, EPS, 1 - EPS)
    return (p - y_true) / (p * (1 - p)) / p.size
    ### END SOLUTION

# %% kind="test" grade_id="test_binary_cross_entropy" points=2
### BEGIN HIDDEN TESTS
try:
    from grader import loss_functions as hidden
except ImportError:
    raise AssertionError(NO_GRADER) from None
hidden.check_binary_cross_entropy(binary_cross_entropy)
### END HIDDEN TESTS
y, p = np.array([1.0, 0.0, 1.0, 0.0]), np.array([0.9, 0.2, 0.6, 0.7])
check_array(run(binary_cross_entropy, y, p), 0.5108256237659907, what="binary_cross_entropy on 4 labels",
            variants=[("wrong_sign", -0.5108256237659907), ("missing_mean", 4 * 0.5108256237659907)])
got = run(binary_cross_entropy, np.array([1.0, 0.0]), np.array([0.0, 1.0]))
check_true(np.isfinite(got), what="binary_cross_entropy with p exactly 0 and 1 (both wrong)", mistake="no_clip",
           problem=f"expected a finite loss (about 27.63 with eps = 1e-12), got {got}.")
print("✓ binary_cross_entropy")

# %% kind="test" grade_id="test_binary_cross_entropy_grad" points=2
### BEGIN HIDDEN TESTS
try:
    from grader import loss_functions as hidden
except ImportError:
    raise AssertionError(NO_GRADER) from None
hidden.check_binary_cross_entropy_grad(binary_cross_entropy_grad)
### END HIDDEN TESTS
check_array(run(binary_cross_entropy_grad, y, p), [-0.2777777778, 0.3125, -0.4166666667, 0.8333333333],
            what="binary_cross_entropy_grad on 4 labels", n=4, nonfinite="no_clip",
            variants=[("logits_vs_probs", [-0.025, 0.05, -0.1, 0.175]),
                      ("bce_grad_sign_slip", [-0.2777777778, -0.3125, -0.4166666667, -0.8333333333])])
got = run(binary_cross_entropy_grad, np.array([1.0]), np.array([0.0]))
check_array(got, [-1e12], what="binary_cross_entropy_grad with p exactly 0 (any clip eps from 1e-15 to 1e-6 is fine)",
            nonfinite="no_clip", rtol=1.0, atol=np.inf)
check_true(-1e15 * 1.01 <= float(np.ravel(got)[0]) <= -1e6 * 0.99, what="binary_cross_entropy_grad with p exactly 0",
           mistake="no_clip", problem=f"expected about -1/eps (-1e12 with eps = 1e-12), got {np.ravel(got)[0]:.3g}")
print("✓ binary_cross_entropy_grad")

# %% [markdown]
# **Probability or logit?** If $p = \sigma(z)$, the chain rule multiplies your gradient by
# $\sigma'(z) = p(1 - p)$, which cancels its denominator: $\partial\,\text{BCE}/\partial z_i = (p_i - y_i)/N$.
# That simpler expression is the gradient with respect to the **logit** $z$; it is not what
# `binary_cross_entropy_grad` returns. Notebook 03 uses both. Checked numerically: along a
# few random directions $u$, measure the slope of BCE through a sigmoid with a centered
# difference (`course.gradcheck.directional_slopes`) and compare with the slope $(p - y)/N$
# predicts, $\sum_i u_i (p_i - y_i)/N$.

# %%
z = np.array([-2.0, 0.5, 3.0])
y = np.array([0.0, 1.0, 0.0])
sigmoid = lambda t: 1 / (1 + np.exp(-t))                          # fine for these small z
with using_your_code():
    measured, predicted = directional_slopes(lambda t: binary_cross_entropy(y, sigmoid(t)), z, (sigmoid(z) - y) / z.size)
    print("measured slopes:        ", measured)
    print("predicted by (p - y)/N: ", predicted)
    err = relative_error(measured, predicted)
    print(f"relative error {err:.1e}: {verdict(err)}")

# %% [markdown]
# **Loss explorer.** One target, one prediction: move the prediction and watch each loss
# and its gradient, every curve drawn by your functions. Far from the target MSE's gradient
# keeps growing, MAE's is stuck at ±1, Huber's grows up to $\delta$ and stops. Switch to
# *binary*: towards $p = 0$ with label 1, cross-entropy and its gradient explode. At the
# slider's end, $p = 0.001$, the loss is already 6.9 and the gradient $-1000$; at $p = 0$
# exactly both would be infinite, and that is what the clipping prevents.

# %%
widgets.loss_explorer(mse, mse_grad, mae, mae_grad, huber, huber_grad,
                      binary_cross_entropy, binary_cross_entropy_grad)

# %% [markdown]
# ## 7 · Several classes: softmax and categorical cross-entropy
#
# With $k$ classes the target of a sample is a one-hot row of $Y$ (shape `(n, k)`) and the
# prediction a row of probabilities $P = \operatorname{softmax}(Z)$ from the logits $Z$. Only
# the true class's probability counts:
#
# $$\text{CCE} = -\frac{1}{n}\sum_{i=1}^{n}\sum_{j=1}^{k} Y_{ij}\log P_{ij} \qquad (\text{a mean over the } n \text{ samples, not over } nk \text{ entries}).$$
#
# Clip $P$ to $[\varepsilon, 1]$ before the log, as for BCE.
#
# **The gradient with respect to the logits**, in steps. Write $\ell_i = -\sum_j Y_{ij} \log P_{ij}$
# for the loss of one sample.
#
# 1. Since $P_{ij} = e^{Z_{ij}} / \sum_m e^{Z_{im}}$, $\log P_{ij} = Z_{ij} - \log\sum_m e^{Z_{im}}$.
#    Substitute this into $\ell_i$: it splits into two parts.
# 2. Differentiate the first part, $-\sum_j Y_{ij} Z_{ij}$, with respect to one logit $Z_{ic}$.
#    Which terms of the sum contain it?
# 3. Differentiate $\log\sum_m e^{Z_{im}}$ with respect to $Z_{ic}$. You met the ratio you
#    get in notebook 01.
# 4. Add the two parts and use that a one-hot row sums to 1. The result is short, and the
#    softmax's own Jacobian never has to be built.
# 5. Only sample $i$'s loss contains $Z_{ic}$; the mean over the $n$ samples contributes $\tfrac1n$.
#
# Computing the softmax needs the stable form of notebook 01 (subtract the row maximum):
# $e^{1000}$ overflows, and the tests use logits of $\pm 1000$. The quantity
# $\log\sum_m e^{Z_{im}}$ computed that way, $c + \log\sum_m e^{Z_{im} - c}$ with
# $c = \max_m Z_{im}$, is called **log-sum-exp**. Notebook 01's `softmax` is not defined in this
# notebook: compute the stable softmax inside your answer.
#
# **Exercise 7.1 (2 + 3 points).** Write `categorical_cross_entropy(Y, P)` (from
# probabilities) and `softmax_cross_entropy_grad(Y, logits)` (the gradient of
# `categorical_cross_entropy(Y, softmax(logits))` with respect to the logits).

# %% kind="solution" grade_id="categorical_cross_entropy"
def categorical_cross_entropy(Y, P):
    """Categorical cross-entropy, a mean over the n samples.

    Y: (n, k) one-hot targets.  P: (n, k) probabilities, clipped to [EPS, 1]. Returns a float.
    """
    ### BEGIN SOLUTION
    return float(-np.sum(Y * np.log(np.clip(P, EPS, 1.0))) / Y.shape[0])
    ### END SOLUTION


def softmax_cross_entropy_grad(Y, logits):
    """Gradient of categorical_cross_entropy(Y, softmax(logits)) with respect to the logits.

    Y, logits: (n, k). Returns (n, k). Stable for logits in the thousands.
    """
    ### BEGIN SOLUTION
    shifted = logits - logits.max(axis=1, keepdims=True)
    P = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    return (P - Y) / Y.shape[0]
    ### END SOLUTION

# %% kind="test" grade_id="test_categorical_cross_entropy" points=2
### BEGIN HIDDEN TESTS
try:
    from grader import loss_functions as hidden
except ImportError:
    raise AssertionError(NO_GRADER) from None
hidden.check_categorical_cross_entropy(categorical_cross_entropy)
### END HIDDEN TESTS
Y = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
P = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]])
check_array(run(categorical_cross_entropy, Y, P), -(np.log(0.7) + np.log(0.6)) / 2, what="categorical_cross_entropy on 2 samples",
            variants=[("cce_mean_over_elements", -(np.log(0.7) + np.log(0.6)) / 6),
                      ("missing_mean", -(np.log(0.7) + np.log(0.6)))])
got = run(categorical_cross_entropy, np.array([[0.0, 1.0]]), np.array([[1.0, 0.0]]))
check_true(np.isfinite(got), what="categorical_cross_entropy with the true class at probability 0", mistake="no_clip",
           problem=f"expected a finite loss (clip P to [1e-12, 1]), got {got}.")
print("✓ categorical_cross_entropy")

# %% kind="test" grade_id="test_softmax_cross_entropy_grad" points=3
### BEGIN HIDDEN TESTS
try:
    from grader import loss_functions as hidden
except ImportError:
    raise AssertionError(NO_GRADER) from None
hidden.check_softmax_cross_entropy_grad(softmax_cross_entropy_grad)
### END HIDDEN TESTS
Y = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
Z = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
check_array(run(softmax_cross_entropy_grad, Y, Z),
            [[0.04501528659, -0.3776357645, 0.3326204779], [-0.3333333333, 0.1666666667, 0.1666666667]],
            what="softmax_cross_entropy_grad on 2 samples", n=2,
            variants=[("missing_mean", [[0.09003057317, -0.7552715289, 0.6652409558], [-0.6666666667, 0.3333333333, 0.3333333333]]),
                      ("sce_forgot_y", [[0.04501528659, 0.1223642355, 0.3326204779], [0.1666666667, 0.1666666667, 0.1666666667]]),
                      ("probs_vs_logits", [[0.0, -2.043080635, 0.0], [-1.5, 0.0, 0.0]]),
                      ("softmax_axis", [[0.3655292893, -0.059601461, 0.4762870634], [-0.3655292893, 0.059601461, 0.0237129366]]),
                      ("cce_mean_over_elements", [[0.0150050955, -0.1258785882, 0.1108734926], [-0.1111111111, 0.0555555556, 0.0555555556]])])
got, warned = call(softmax_cross_entropy_grad, np.array([[1.0, 0.0]]), np.array([[1000.0, -1000.0]]),
                   what="softmax_cross_entropy_grad with logits ±1000")
check_array(got, [[0.0, 0.0]], what="softmax_cross_entropy_grad with logits ±1000", nonfinite="unstable_softmax", atol=1e-12)
check_true(not warned, what="softmax_cross_entropy_grad with logits ±1000", mistake="unstable_softmax",
           problem="numpy warned: " + "; ".join(warned))
print("✓ softmax_cross_entropy_grad")

# %% [markdown]
# So $\nabla_Z\,\text{CCE} = (P - Y)/n$: prediction minus target, the same form as the
# gradient of BCE through a sigmoid with respect to its logit (§6).

# %% [markdown]
# ## 8 · Check every gradient numerically
#
# A gradient you derived by hand is a claim; a centered difference tests it. For each loss,
# move the predictions by $\pm h$ along a few random directions, measure the loss's slope, and
# compare with the slope your gradient predicts (`course.gradcheck.directional_slopes`;
# notebook 03 has you build the full numerical gradient, entry by entry). Relative errors near $10^{-10}$ say *correct*. MAE is checked away from
# its kink at $r = 0$, where a centered difference averages the two slopes.

# %%
rng = np.random.default_rng(7)
y_reg, y_hat_reg = rng.normal(size=(4, 3)), rng.normal(size=(4, 3)) * 2
y_bin, p_bin = rng.integers(0, 2, size=(5, 2)).astype(float), rng.uniform(0.05, 0.95, size=(5, 2))
Y_cls, Z_cls = np.eye(4)[[0, 3, 1]], rng.normal(size=(3, 4))
softmax_rows = lambda Z: np.exp(Z - Z.max(1, keepdims=True)) / np.exp(Z - Z.max(1, keepdims=True)).sum(1, keepdims=True)

with using_your_code():
    checks = {
        "mse": (lambda v: mse(y_reg, v), mse_grad(y_reg, y_hat_reg), y_hat_reg),
        "mae": (lambda v: mae(y_reg, v), mae_grad(y_reg, y_hat_reg), y_hat_reg),
        "huber (delta 0.7)": (lambda v: huber(y_reg, v, 0.7), huber_grad(y_reg, y_hat_reg, 0.7), y_hat_reg),
        "binary cross-entropy": (lambda v: binary_cross_entropy(y_bin, v), binary_cross_entropy_grad(y_bin, p_bin),
                                 p_bin),
        "softmax + cross-entropy": (lambda v: categorical_cross_entropy(Y_cls, softmax_rows(v)),
                                    softmax_cross_entropy_grad(Y_cls, Z_cls), Z_cls),
    }
    for name, (f, analytic, at) in checks.items():
        err = relative_error(*directional_slopes(f, at, analytic))
        print(f"{name:25s} relative error {err:.1e}  {verdict(err)}")

# %% [markdown]
# ## Summary
#
# * A loss is a mean; its gradient carries the $1/N$ (or $1/n$ for CCE). The 0.875 regression program's ½·sum
#   is a different loss whose gradient is $N/2$ times larger.
# * MSE's gradient grows with the error, MAE's does not, Huber's grows up to $\delta$: that is
#   the whole story of robustness to outliers.
# * Clip probabilities before a log; subtract the row maximum before an exp.
# * Cross-entropy after a sigmoid or a softmax has the gradient *prediction − target*
#   with respect to the logits; with respect to the probabilities it is something else.
#
# Next, **03 · Backprop by hand**: carry these gradients back through the network.
