"""Pure functions that turn parts of a response into file text. No I/O: `acpctl render` writes the files."""
