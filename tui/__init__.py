"""The `kintsugi` command line and (with the console issue) the Textual console."""
