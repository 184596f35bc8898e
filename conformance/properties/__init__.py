"""Property-based runs: schemathesis over the OpenAPI definition, with audio-aware Hypothesis strategies.

``schema`` loads the definition (ours or the target's) aimed at the target as the primary actor; ``strategies``
generates real audio, mutations of it and odd aliases; ``checks`` holds our checks (one requirement id each) and
turns schemathesis failures into ``ConformanceFailure``; ``runner`` drives stateless and stateful runs from inside
``conformance/scenarios/test_properties.py``, so results land in the same reports. Suite side: never imports the
reference server.
"""
