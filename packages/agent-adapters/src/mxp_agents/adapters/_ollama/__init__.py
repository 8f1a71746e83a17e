"""The Ollama ``/api/chat`` adapter (private; the public module is ``adapters.ollama``)."""
