"""Backprop Lab's helper package: what every notebook imports.

    course.checks     compare an answer with the expected one; name the mistake
    course.mistakes   the catalog of named mistakes and their hints
    course.gradcheck  numerical gradients and how to read a relative error
    course.fit        a line fitted under any loss, from its gradient (IRLS)
    course.nn         the building blocks later notebooks use: activations, dense layer, their
                      backward passes, layers, a freezable Sequential model, save/load, the pretrained base
    course.xray       synthetic chest-X-ray-like images (base archive and "your hospital")
    course.transfer   notebook 05's fine-tuning experiment, shared by its comparison and its widget
    course.data       deterministic, synthetic data sets (spam emails, 2-D blobs)
    course.plots      pictures drawn once and updated in place
    course.widgets    live widgets built on those pictures (idle while grading)
"""
__version__ = "0.1.0"
