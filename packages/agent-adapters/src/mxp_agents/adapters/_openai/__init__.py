"""The OpenAI Chat Completions adapter (private; the public module is ``adapters.openai``)."""
