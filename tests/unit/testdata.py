"""Where the tests find their facts: tests/data (see tests/data/README)."""

import os

DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                    "data")
RECORDED = os.path.join(DATA, "recorded")          # recorded tool outputs
REFERENCE = os.path.join(DATA, "reference", "upstream-3.0")  # upstream outputs
SPEC = os.path.join(DATA, "spec")                  # interface specifications
