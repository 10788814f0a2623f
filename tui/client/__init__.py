"""`kintsugi sql`: the script runner (-e, stdin, `source`) and the interactive client.

The interactive client is built on prompt_toolkit, imported only when a terminal asks for it,
so `kintsugi sql -e` and the console never load it.  Nothing here imports textual: the
client reaches the engine through `core.api` alone, as the console does.
"""
