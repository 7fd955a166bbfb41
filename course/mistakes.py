"""The catalog of mistakes the course recognises, by key.

A check that finds a student's answer equal to a known wrong variant reports the
mistake's title and hint from here, so every notebook, visible test and hidden test
names the same mistake in the same words. The wrong variants themselves (how to
compute what a mistaken answer looks like) live with the checks that use them:
`course.checks` for the generic ones, `grader` for the exercise-specific ones.

To add a mistake: add an entry below, then return its key from a variant.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Mistake:
    key: str
    title: str  # what went wrong, as a student would say it
    hint: str   # the one-line fix


def _catalog(*entries: tuple[str, str, str]) -> dict[str, Mistake]:
    return {key: Mistake(key, title, hint) for key, title, hint in entries}


CATALOG: dict[str, Mistake] = _catalog(
    # --- what every exercise can get wrong --------------------------------------
    ("returned_none", "the function returned None",
     "end the function with `return ...`; the last expression is not returned automatically."),
    ("not_an_array", "the answer is not a numeric array",
     "return a NumPy array of numbers (np.asarray(...)), not a list of arrays, string or dict."),
    ("wrong_shape", "the answer has the wrong shape",
     "compare the shapes in the docstring with what you return; print(x.shape) while you work."),
    ("transposed", "the answer is transposed",
     "your result is the transpose of the expected one: swap the order of a matrix product or drop a `.T`."),
    ("flattened", "the answer has the right numbers in the wrong shape",
     "keep the batch dimension: avoid .ravel()/.flatten()/.squeeze() and keep keepdims=True where you reduce."),
    ("wrong_sign", "wrong sign",
     "your answer is exactly minus the expected one: check which side of the subtraction comes first."),
    ("factor_two", "off by a factor 2",
     "your answer is twice the expected one: the derivative of u² is 2u, and the ½ convention cancels it. Use the course's convention."),
    ("half", "off by a factor ½",
     "your answer is half the expected one: the derivative of u² is 2u. Did you use the ½·sum convention where the mean is asked?"),
    ("missing_mean", "missing 1/n",
     "your answer is n times too large: the loss is a mean over the batch, so its gradient carries a 1/n."),
    ("extra_mean", "an extra 1/n",
     "your answer is n times too small: divide by n once, where the mean is taken, not again later."),
    ("not_finite", "the answer contains NaN or inf",
     "an exp() overflowed or a log() met 0: use the numerically stable form the notebook shows."),
    ("mutates_input", "an input was modified in place",
     "do not write into your arguments (x[...] = , x += , x *= ): work on a copy or build a new array."),
    ("shape_mismatch", "the shapes of a product or sum do not line up",
     "write each array's shape beside each line: X @ W needs X (n, d_in) and W (d_in, d_out); a row-wise sum needs keepdims=True to broadcast back."),
    ("wrong_dtype", "wrong dtype",
     "return the dtype the docstring asks for (e.g. integers 0/1 via .astype(int), floats as float64)."),

    # --- 01 forward pass ----------------------------------------------------------
    ("unstable_sigmoid", "sigmoid is not numerically stable",
     "1/(1+exp(-z)) overflows for z << 0: for negative z use exp(z)/(1+exp(z)), or np.exp(-np.logaddexp(0, -z))."),
    ("sigmoid_sign", "sigmoid with the sign of z flipped",
     "sigmoid(z) = 1 / (1 + exp(-z)): the exponent is minus z, so sigmoid(2) > 0.5."),
    ("sigmoid_derivative", "the sigmoid's derivative was returned instead of the sigmoid",
     "s(1 - s) is the derivative; the forward pass returns s = 1 / (1 + exp(-z)) itself."),
    ("relu_max", "np.max used where np.maximum is meant",
     "np.max(z, 0) reduces over an axis; np.maximum(z, 0) compares element by element."),
    ("relu_abs", "negative inputs kept (|z| or z instead of max(z, 0))",
     "ReLU sets every negative entry to 0 and keeps the positive ones: np.maximum(z, 0)."),
    ("unstable_softmax", "softmax is not numerically stable",
     "exp(1000) overflows: subtract each row's maximum before exp (it cancels in the ratio)."),
    ("softmax_axis", "softmax normalised over the wrong axis",
     "each ROW is one sample: sum over axis=1 with keepdims=True so every row sums to 1."),
    ("softmax_global", "softmax normalised over the whole array",
     "normalise each row separately (axis=1, keepdims=True), not by the sum of all entries."),
    ("softmax_unnormalised", "exp(z) returned without normalising",
     "divide by the row sums so every row is a probability distribution."),
    ("dense_no_bias", "the bias was left out",
     "Z = X @ W + b: add b (shape (d_out,)), it broadcasts over the rows."),
    ("softmax_sigmoid", "sigmoid applied instead of softmax",
     "softmax couples a row's entries: exp(z_i) / sum_j exp(z_j), so each row sums to 1."),
    ("dense_activated", "an activation was applied inside the dense layer",
     "dense_forward returns Z = X @ W + b only; the activation is the next, separate step."),
    ("dense_elementwise", "element-wise product instead of a matrix product",
     "X * W multiplies entries; a layer needs the matrix product X @ W."),
    ("mlp_no_input", "the activations list does not start with the input X",
     "return [X, A1, ..., AL]: the input comes first, so activations[l] is what layer l+1 reads."),
    ("mlp_only_output", "only the final output was returned",
     "return the list of every layer's activation, [X, A1, ..., AL], not just AL."),
    ("mlp_pre_activation", "pre-activations Z stored instead of activations A",
     "store A = activation(Z) for every layer; the next layer reads A, and so does the list."),
    ("mlp_no_activation", "the activation was not applied",
     "apply the activation after every layer, the last one included: A = activation(X @ W + b)."),
    ("mlp_last_linear", "the last layer was left linear",
     "this network applies the activation after every layer, the last one too."),
    ("mlp_ignores_activation", "the `activation` argument was ignored",
     "call the function passed as `activation`, not sigmoid directly: the caller chooses the activation."),
    ("mlp_same_input", "every layer was fed the network's input X",
     "each layer reads the previous layer's activation: A = activation(A_prev @ W + b)."),
    ("spam_probabilities", "probabilities returned instead of labels",
     "threshold the probabilities: (p > threshold).astype(int)."),
    ("spam_threshold_on_z", "the threshold was applied to z, not to sigmoid(z)",
     "the 0.5 threshold is on the probability sigmoid(z); z itself crosses 0 there, not 0.5."),
    ("spam_inverted", "labels inverted (1 for not-spam)",
     "spam is the positive class: label 1 when the probability is ABOVE the threshold."),
    ("spam_fixed_threshold", "the threshold argument was ignored",
     "use the `threshold` parameter, not a hard-coded 0.5."),
    # --- 02 loss functions ----------------------------------------------------------
    ("loss_not_scalar", "the loss is not one number",
     "a loss averages over everything: return a float (np.mean(...)), not an array."),
    ("rmse", "the square root of the MSE (RMSE) was returned",
     "MSE is the mean of the squared errors, without a square root."),
    ("mean_over_rows", "divided by the number of rows instead of the number of elements",
     "these losses average over ALL elements: divide by y.size (np.mean does), not len(y)."),
    ("half_and_missing_mean", "both the 2 and the 1/N are missing",
     "d/dŷ mean((ŷ - y)²) = 2(ŷ - y)/N: keep the 2 from the square and the 1/N from the mean."),
    ("mae_for_mse", "absolute errors used where squared errors are asked",
     "MSE squares each residual: (y_pred - y_true) ** 2."),
    ("mse_for_mae", "squared errors used where absolute errors are asked",
     "MAE takes |y_pred - y_true|; its gradient is sign(y_pred - y_true)/N, whatever the size of the error."),
    ("mae_no_abs", "the absolute value is missing",
     "without |.|, positive and negative errors cancel: np.abs(y_pred - y_true)."),
    ("mae_grad_abs", "|r|/N returned as the gradient of MAE",
     "the slope of |r| is sign(r): +1 or -1 (0 at r = 0), so the gradient is np.sign(y_pred - y_true)/N."),
    ("mae_grad_zero", "NaN where the prediction equals the target",
     "r/|r| divides by 0 at r = 0; np.sign(r) is 0 there, which is the usual choice."),
    ("huber_no_half", "the ½ of Huber's quadratic part is missing",
     "inside delta Huber is ½r², so that its slope r meets the linear part's slope delta at |r| = delta."),
    ("huber_no_offset", "the linear part is delta·|r| without the -½delta² offset",
     "outside delta Huber is delta(|r| - ½delta): the offset makes the two pieces meet at |r| = delta."),
    ("huber_branches_swapped", "the quadratic and linear branches are swapped",
     "quadratic for SMALL residuals (|r| <= delta), linear for large ones."),
    ("huber_delta_ignored", "the `delta` argument was ignored",
     "use the delta passed in, not a fixed 1.0."),
    ("huber_grad_unclipped", "Huber's gradient was not clipped at ±delta",
     "outside delta the slope is constant: np.clip(y_pred - y_true, -delta, delta) / N."),
    ("huber_grad_sign", "delta·sign(r) used everywhere",
     "inside delta the slope is r itself; only outside it is delta·sign(r): np.clip does both."),
    ("bce_log10", "log base 10 instead of the natural log",
     "cross-entropy uses the natural logarithm, np.log."),
    ("no_clip", "probabilities were not clipped before the log",
     "log(0) = -inf: clip p to [eps, 1 - eps] (np.clip(p, 1e-12, 1 - 1e-12)) first."),
    ("logits_vs_probs", "the gradient with respect to the logits was given, not the one with respect to p",
     "(p - y)/N is d loss/d z for p = sigmoid(z). Asked is d loss/d p = (p - y) / (p(1 - p)) / N."),
    ("probs_vs_logits", "the gradient with respect to the probabilities was given, not the one with respect to the logits",
     "through the softmax the chain rule collapses: d loss/d logits = (softmax(logits) - Y)/n."),
    ("cce_mean_over_elements", "categorical cross-entropy averaged over all n·k entries",
     "sum over the classes of each sample, then average over the n samples: divide by n = Y.shape[0]."),
    ("bce_for_cce", "binary cross-entropy used for several classes",
     "categorical cross-entropy is -sum(Y log P)/n: only the true class's log-probability counts."),
    ("sce_forgot_y", "the targets Y were not subtracted",
     "the gradient is (softmax(logits) - Y)/n: prediction minus target."),
    # --- 03 backprop by hand --------------------------------------------------------
    ("wrong_return", "the function returns the wrong kind of thing",
     "return exactly what the docstring says, in that order (e.g. a tuple (dX, dW, db))."),
    ("derivative_on_z", "the derivative was applied to Z, not to A",
     "sigmoid_backward gets A = sigmoid(Z), the layer's OUTPUT: its derivative is A * (1 - A), no further sigmoid."),
    ("chain_rule_broken", "the upstream gradient was not multiplied in",
     "chain rule: dZ = dA * (local derivative). Multiply by the gradient that flows in from above."),
    ("activation_not_derivative", "multiplied by the activation instead of its derivative",
     "the local factor is the activation's SLOPE: A(1 - A) for sigmoid, 1 where Z > 0 for ReLU."),
    ("sigmoid_backward_square", "A² used instead of A(1 - A)",
     "sigmoid'(z) = sigmoid(z)(1 - sigmoid(z)) = A * (1 - A)."),
    ("relu_backward_z", "multiplied by Z instead of by the 0/1 mask",
     "ReLU's slope is 1 where Z > 0 and 0 elsewhere: dA * (Z > 0)."),
    ("relu_backward_sign", "the mask is inverted",
     "gradient flows where the unit was ACTIVE, Z > 0."),
    ("dense_backward_order", "the gradients come back in the wrong order",
     "return (dX, dW, db) in that order."),
    ("bias_not_summed", "the bias gradient was not summed over the batch",
     "b is added to every row, so its gradient adds up every row's: db = dZ.sum(axis=0), shape (d_out,)."),
    ("bias_summed_wrong_axis", "the bias gradient was summed over the wrong axis",
     "sum over the batch, axis=0: one number per output unit."),
    ("forward_difference", "a one-sided difference instead of a centered one",
     "use (f(x + h) - f(x - h)) / (2h): its error is O(h²), a forward difference's is O(h)."),
    ("h_ignored", "the step `h` argument was ignored",
     "use the h passed in."),
    ("bce_sigmoid_double", "the sigmoid's derivative was applied on top of (A2 - y)",
     "with binary cross-entropy after a sigmoid, dL/dZ2 = (A2 - y)/N already includes the sigmoid: don't multiply by A2(1 - A2) again."),
    ("loss_not_mean", "the loss is a sum, not a mean",
     "binary cross-entropy averages over all elements: np.mean, and 1/N in every gradient."),
    ("grads_keys", "the gradients dict has the wrong keys",
     "return {'dW1': ..., 'db1': ..., 'dW2': ..., 'db2': ...}."),
    ("grads_reversed", "the layers' gradients are in reverse order",
     "backprop visits the layers last to first; return the list in layer order, first layer first (reverse it)."),
    ("wrong_layer_activation", "the wrong layer's activations were used",
     "dW_l = A_(l-1).T @ dZ_l: the weights multiply the activation that flows INTO layer l."),
    ("spam_no_bias", "the bias was left out of z",
     "z = X @ w + b: the bias shifts every email's score."),
)


def describe(key: str) -> str:
    """'title — hint' for a catalog key (unknown keys are shown as they are)."""
    m = CATALOG.get(key)
    return f"{key}" if m is None else f"{m.title}. Hint: {m.hint}"
