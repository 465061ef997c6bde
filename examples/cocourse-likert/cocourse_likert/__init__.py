"""cocourse-likert: an agreement-scale question type for cocourse quizzes (see README.md)."""

__version__ = "0.1.0"
