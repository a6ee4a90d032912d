//! Prints the sentence vector of a text, or the cosine similarity of two, for debugging:
//!
//! ```text
//! cargo run --release --example embed -- "how do I hinge"
//! cargo run --release --example embed -- "how do I hinge" "what is a hip hinge"
//! ```
//!
//! The model folder is `HINGEBOT_MODEL_DIR` or the default (see `default_model_dir`).

use anyhow::{bail, Context};
use hingebot::matcher::semantic::{default_model_dir, similarity, Encoder};

fn main() -> anyhow::Result<()> {
    let texts: Vec<String> = std::env::args().skip(1).collect();
    let dir = default_model_dir();
    let encoder =
        Encoder::load(&dir).with_context(|| format!("loading the model from {}", dir.display()))?;
    match texts.as_slice() {
        [text] => {
            let vector = encoder.embed(text)?;
            println!("tokens: {}", encoder.token_count(text)?);
            println!("{vector:?}");
        }
        [a, b] => {
            let cosine = similarity(&encoder.embed(a)?, &encoder.embed(b)?);
            println!("{cosine:.4}");
        }
        _ => bail!("usage: embed TEXT [OTHER_TEXT]"),
    }
    Ok(())
}
