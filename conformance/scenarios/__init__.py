"""The scenarios: pytest modules, one per area, each test one requirement id."""
