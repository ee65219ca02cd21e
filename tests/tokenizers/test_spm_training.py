"""tools/spm: the training settings give a lossless, identity-normalizing, byte-fallback model."""

from ozarc.model.tokenizers.text import TextTokenizer, default_model_bytes, tokenizer_for
from tools.spm.train import train


def test_training_settings_make_a_lossless_model(tmp_path):
    corpus = tmp_path / "train.txt"
    corpus.write_text("def main(argv):\n    return 0\nthe cat sat on the mat\n" * 200
                      + "naïve café ﬁnal\n" * 20, encoding="utf-8")
    model = train(corpus, vocab_size=300)
    tok = TextTokenizer(model)
    assert tok.n_text == 300
    for text in ["the  cat\tsat ﬁnal", "Ａ①\u0301 😀", "    return 0\r\n"]:
        data = text.encode()
        assert tok.decode(tok.encode(data)) == data
    assert train(corpus, vocab_size=300) == model  # deterministic


def test_shipped_model_uses_identity_normalization():
    sp = tokenizer_for(default_model_bytes())._sp
    # NFKC would turn the ligature into "fi", the fullwidth A into "A" and compose é.
    assert sp.normalize("ﬁ  Ａ e\u0301") == "ﬁ\u2581\u2581Ａ\u2581e\u0301"
