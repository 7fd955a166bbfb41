"""Instructor-only: reference implementations and hidden checks, one module per assignment.

Never installed for students and never copied into release/. Hidden test cells import it
at autograde time (nbgrader_config.py puts this checkout on the kernels' PYTHONPATH):

    from grader import forward_pass as hidden
    hidden.check_sigmoid(sigmoid)

Each check_* calls the student's function on randomized cases (non-square shapes,
batch sizes 1 and > 1, fixed seeds so a regrade gives the same result) and compares
with the reference through course.checks, passing the exercise's wrong variants so
the feedback names the mistake.
"""
