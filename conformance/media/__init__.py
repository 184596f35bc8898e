"""Media analysis for the conformance suite: strict WAV parsing, decoding, same-sound comparison, durations."""
