"""NumPy reference implementations used by the self-checks and tested against TensorFlow.

Written for clarity, not speed: loops a student can read.  TensorFlow is the
oracle (tests/test_reference_conv.py, tests/test_reference_pool.py).
"""

from .conv import conv2d, conv_output_size  # notebooks 01-02
from .pool import pool2d  # notebook 03

__all__ = ["conv2d", "conv_output_size", "pool2d"]
