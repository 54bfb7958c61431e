"""Builds the package with aen-stream's Avro schema history inside it.

The schemas live once, in the checkout's avro module; building copies every archived version into the
package, so an installed aen_stream reads records of every schema version without the checkout.
"""
import os
import shutil

from setuptools import setup
from setuptools.command.build_py import build_py

HISTORY = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "avro", "src", "main", "resources",
                       "dev", "aenstream", "avro", "history")


class BuildWithSchemas(build_py):
    def run(self):
        super().run()
        if not os.path.isdir(HISTORY):
            raise FileNotFoundError(f"schema history not found at {HISTORY}: build from the aen-stream checkout")
        target = os.path.join(self.build_lib, "aen_stream", "schemas")
        os.makedirs(target, exist_ok=True)
        for name in os.listdir(HISTORY):
            shutil.copy(os.path.join(HISTORY, name), target)


setup(cmdclass={"build_py": BuildWithSchemas})
