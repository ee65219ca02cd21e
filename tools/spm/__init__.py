"""Training and measuring the SentencePiece model behind ozarc's text tokenizer."""
