"""Reference implementation of the voice-security audio API.

The conformance suite certifies other servers against it, and tests itself against it and against faulty
variants of it (see :mod:`conformance.reference.faults`). It meets the suite only over HTTP: nothing here
imports from the rest of the ``conformance`` package.
"""
