# Copyright Contributors to the numpyro-mixsupport project.
# SPDX-License-Identifier: Apache-2.0
import sys

from .harness import main

sys.exit(main())
