"""What `acpctl render` writes, and how: the safe writer (no symlink below the output folder is ever followed),
the manifest of what a render wrote, the README.md and HEALTH.md it adds, and the next steps it tells."""
