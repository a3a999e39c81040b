import sys

from hallq.cli import main

sys.exit(main())
