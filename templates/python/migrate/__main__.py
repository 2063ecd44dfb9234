"""`python -m migrate`: see migrate/__init__.py."""
import sys

from migrate import main

sys.exit(main())
