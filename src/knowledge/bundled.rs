//! The knowledge base compiled into the binary (`knowledge/*.toml` at build time, see `build.rs`), so
//! `hingebot` answers from any folder; a curator's folder can stand in for it ([`KnowledgeSource`]).

use super::{KnowledgeBase, KnowledgeError, Problem};
use std::fmt;
use std::path::{Path, PathBuf};

include!(concat!(env!("OUT_DIR"), "/bundled_knowledge.rs"));

/// The folder the bundled files came from, as named in messages about them.
pub const BUNDLED_DIR: &str = "knowledge";

/// The bundled files as (path, text) pairs, the paths under [`BUNDLED_DIR`].
pub fn files() -> Vec<(PathBuf, String)> {
    FILES
        .iter()
        .map(|(name, text)| (Path::new(BUNDLED_DIR).join(name), (*text).to_string()))
        .collect()
}

impl KnowledgeBase {
    /// The knowledge base compiled into the binary, validated as a folder would be.
    pub fn bundled() -> Result<KnowledgeBase, KnowledgeError> {
        KnowledgeBase::from_files(Path::new(BUNDLED_DIR), files())
    }
}

/// Where a knowledge base is read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KnowledgeSource {
    /// The copy compiled into the binary: the default.
    Bundled,
    /// A folder of `*.toml` files (`knowledge_dir` in the config, or `--knowledge DIR`).
    Folder(PathBuf),
}

impl KnowledgeSource {
    /// The folder when one is named, else the bundled copy.
    pub fn from_dir(dir: Option<&Path>) -> KnowledgeSource {
        match dir {
            Some(dir) => KnowledgeSource::Folder(dir.to_path_buf()),
            None => KnowledgeSource::Bundled,
        }
    }

    /// Reads and validates the knowledge base.
    pub fn load(&self) -> Result<KnowledgeBase, KnowledgeError> {
        match self {
            KnowledgeSource::Bundled => KnowledgeBase::bundled(),
            KnowledgeSource::Folder(dir) => KnowledgeBase::load(dir),
        }
    }

    /// Reads and validates the knowledge base, and also returns its editorial problems (wording,
    /// citations), which `kb check` reports but which do not stop the bot from loading it.
    pub fn check(&self) -> Result<(KnowledgeBase, Vec<Problem>), KnowledgeError> {
        match self {
            KnowledgeSource::Bundled => KnowledgeBase::check_files(Path::new(BUNDLED_DIR), files()),
            KnowledgeSource::Folder(dir) => KnowledgeBase::check(dir),
        }
    }

    /// The path of one of its files, for messages.
    pub fn file(&self, name: &str) -> PathBuf {
        match self {
            KnowledgeSource::Bundled => Path::new(BUNDLED_DIR).join(name),
            KnowledgeSource::Folder(dir) => dir.join(name),
        }
    }
}

impl fmt::Display for KnowledgeSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KnowledgeSource::Bundled => f.write_str("the bundled knowledge base"),
            KnowledgeSource::Folder(dir) => write!(f, "the knowledge base in {}", dir.display()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_files_are_the_repositorys_knowledge_folder() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(BUNDLED_DIR);
        let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".toml"))
            .collect();
        on_disk.sort();
        let bundled: Vec<&str> = FILES.iter().map(|(name, _)| *name).collect();
        assert_eq!(bundled, on_disk);
        for (name, text) in FILES {
            assert_eq!(
                std::fs::read_to_string(dir.join(name)).unwrap(),
                *text,
                "{name}"
            );
        }
    }

    #[test]
    fn the_bundled_knowledge_base_is_the_folder_one_with_the_same_checksum() {
        let bundled = KnowledgeBase::bundled().unwrap();
        let folder =
            KnowledgeBase::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join(BUNDLED_DIR)).unwrap();
        assert_eq!(bundled.version(), folder.version());
        assert_eq!(bundled.entries().len(), folder.entries().len());
        assert!(!bundled.entries().is_empty());
    }
}
