"""`python -m bot.cli`, as `outreach-bot`."""

import sys

from bot.cli import main

sys.exit(main())
