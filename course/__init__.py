"""Backprop Lab's helper package: what every notebook imports.

    course.checks     compare an answer with the expected one; name the mistake
    course.mistakes   the catalog of named mistakes and their hints
    course.gradcheck  a gradient checked along random directions; how to read a relative error
    course.fit        a line fitted under any loss, from its gradient (IRLS)
    course.xray       synthetic chest-X-ray-like images (base archive and "your hospital")
    course.transfer   notebook 05's fine-tuning experiment, shared by its comparison and its widget
    course.data       deterministic, synthetic data sets (spam emails, 2-D blobs)
    course.plots      pictures drawn once and updated in place
    course.widgets    live widgets built on those pictures (idle while grading)

It holds no exercise's answer: it is installed for every assignment. Where a helper needs an
exercise's function (the digits training loop, notebook 05's experiments, the widgets), the
notebook passes it in: the student's own, or the worked version of an earlier notebook's,
released beside the notebook (`forward_pass.py`, ...; see tools/build.py).
"""
__version__ = "0.1.0"
