"""Offline stand-in for @rules_python//python:defs.bzl: re-exports Bazel's native Python rules."""
py_binary = native.py_binary
py_library = native.py_library
py_runtime = native.py_runtime
py_runtime_pair = native.py_runtime_pair
py_test = native.py_test
