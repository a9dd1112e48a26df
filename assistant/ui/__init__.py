"""The web UI, Arabic first and right to left. It only translates: ``service`` (handlers over the
library, no Gradio), ``views`` and ``render`` (escaped HTML), ``layout`` (Gradio components),
``upload`` (the upload panel), ``server`` (launch)."""
