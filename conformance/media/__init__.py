"""Media for the suite: WAV parsing and writing, decoding, same-sound comparison, durations, Base64 variants."""
