"""Training data readers and weak labels for the models of ``nlp``."""
