"""Text to vectors: the model on disk (``model_store``), what the CPU runs fast (``cpu``), the
embedder (``embedder``), vectors remembered by content (``cache``), and the compiled query path
(``query_graph``, built by ``compile``). Nothing heavy is imported here."""
