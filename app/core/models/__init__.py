"""Local GGUF models: what is installed, metadata, downloads."""
