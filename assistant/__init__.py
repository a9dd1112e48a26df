"""Arabic search and question answering over your documents, with exact citations.

The pipeline, one module per stage: ``sources`` → ``normalize`` → ``chunk`` → ``embedding`` →
``dense`` + ``lexical`` → ``store`` → ``search`` → ``answer``; ``cli`` and ``ui`` only translate.
"""

__version__ = "0.1.0"
