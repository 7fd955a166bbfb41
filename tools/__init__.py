"""The course's tools: the build, the registry of assignments and widgets, the browser
harness and the feedback audit. tests/ and benchmarks/ import from here, never the reverse."""
