"""The pymilter adapter: the only code that imports `Milter`/`milter`."""
