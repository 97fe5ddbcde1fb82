# -*- Python -*-
"""lit configuration that runs agn's gtest unit tests, one lit test per case."""

import os

import lit.formats

config.name = "AGN-Unit"
config.suffixes = []
config.test_source_root = os.path.join(config.agn_obj_root, "unittests")
config.test_exec_root = config.test_source_root
# Every executable named *Tests under unittests/ in the build is a gtest binary.
config.test_format = lit.formats.GoogleTest(".", "Tests")
