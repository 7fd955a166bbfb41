"""Notebook 04's two optimiser steps, momentum and RMSProp (notebook 05 races them against Adam)."""
from __future__ import annotations

import numpy as np


def momentum_step(param, grad, velocity, lr, beta=0.9):
    """SGD with momentum, PyTorch's convention (dampening 0). Returns (param, velocity)."""
    velocity = beta * velocity + grad
    return param - lr * velocity, velocity


def rmsprop_step(param, grad, sq, lr, beta=0.9, eps=1e-8):
    """RMSProp as torch.optim.RMSprop with alpha = beta. Returns (param, sq)."""
    sq = beta * sq + (1 - beta) * grad ** 2
    return param - lr * grad / (np.sqrt(sq) + eps), sq
