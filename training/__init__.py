"""Radiology Draft training recipe: MedCLIP-style dual encoder, retrieval, cross-modal fusion report generator.

Python is used for training and ONNX export only. All text processing (cleaning, tokenisation, labelling, scoring)
happens in the TypeScript language toolkit; this package reads its dataset manifest and calls its eval CLI.
"""

import os as _os

# Other processes share this machine's two cores: spinning OpenMP workers then cost far more than they save.
_os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
