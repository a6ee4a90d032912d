//! Finding the model folder and reading its files only after their sha256 matches `SHA256SUMS`.

use super::error::SemanticError;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// The model's folder name under `models/`.
pub const MODEL_DIR_NAME: &str = "all-minilm-l6-v2";

/// The environment variable that overrides where the model folder is.
pub const MODEL_DIR_ENV: &str = "HINGEBOT_MODEL_DIR";

/// Where the model folder is, first match wins:
/// 1. the `HINGEBOT_MODEL_DIR` environment variable, if set and not empty;
/// 2. `models/all-minilm-l6-v2` in the running executable's folder, then in its
///    `../share/hingebot/` (an installed layout), whichever exists;
/// 3. `models/all-minilm-l6-v2` in the source tree this binary was built from.
///
/// The result may not exist; [`Encoder::load`](super::Encoder::load) reports that.
pub fn default_model_dir() -> PathBuf {
    let exe_dir = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(Path::to_path_buf));
    resolve_model_dir(
        std::env::var_os(MODEL_DIR_ENV),
        exe_dir.as_deref(),
        Path::new(env!("CARGO_MANIFEST_DIR")),
    )
}

/// [`default_model_dir`] with its inputs spelled out, so the order can be tested.
pub(super) fn resolve_model_dir(
    env: Option<OsString>,
    exe_dir: Option<&Path>,
    source_tree: &Path,
) -> PathBuf {
    if let Some(dir) = env.filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    let beside_exe = exe_dir.into_iter().flat_map(|exe| {
        [
            exe.join("models").join(MODEL_DIR_NAME),
            exe.join("../share/hingebot/models").join(MODEL_DIR_NAME),
        ]
    });
    for dir in beside_exe {
        if dir.is_dir() {
            return dir;
        }
    }
    source_tree.join("models").join(MODEL_DIR_NAME)
}

/// Lowercase hex sha256 of some bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

pub(super) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A model folder whose `SHA256SUMS` has been read.
pub(super) struct ModelFiles {
    dir: PathBuf,
    sums_path: PathBuf,
    sums: HashMap<String, String>,
}

/// One file's bytes, read and verified.
pub(super) struct VerifiedFile {
    pub path: PathBuf,
    pub bytes: Vec<u8>,
    pub sha256: String,
}

impl ModelFiles {
    /// Opens a model folder by reading its `SHA256SUMS` (`<hex>  <name>` lines, as `sha256sum`
    /// writes them).
    pub fn open(dir: &Path) -> Result<ModelFiles, SemanticError> {
        if !dir.is_dir() {
            return Err(SemanticError::MissingDir {
                dir: dir.to_path_buf(),
            });
        }
        let sums_path = dir.join("SHA256SUMS");
        let text = read(&sums_path)?;
        let bad = |problem: String| SemanticError::BadChecksumList {
            path: sums_path.clone(),
            problem,
        };
        let text = String::from_utf8(text).map_err(|_| bad("not UTF-8 text".to_string()))?;
        let mut sums = HashMap::new();
        for (n, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let parsed = line
                .split_once(' ')
                .map(|(hash, name)| (hash, name.trim_start_matches([' ', '*'])))
                .filter(|(hash, name)| {
                    hash.len() == 64
                        && hash.bytes().all(|b| b.is_ascii_hexdigit())
                        && !name.is_empty()
                });
            let Some((hash, name)) = parsed else {
                return Err(bad(format!(
                    "line {}: expected '<sha256 hex>  <file name>'",
                    n + 1
                )));
            };
            sums.insert(name.to_string(), hash.to_ascii_lowercase());
        }
        Ok(ModelFiles {
            dir: dir.to_path_buf(),
            sums_path,
            sums,
        })
    }

    /// Reads a file of the folder and checks it against its `SHA256SUMS` line.
    pub fn read_verified(&self, name: &str) -> Result<VerifiedFile, SemanticError> {
        let path = self.dir.join(name);
        let expected = self
            .sums
            .get(name)
            .ok_or_else(|| SemanticError::BadChecksumList {
                path: self.sums_path.clone(),
                problem: format!("no checksum for {name}"),
            })?;
        let bytes = read(&path)?;
        let actual = sha256_hex(&bytes);
        if &actual != expected {
            return Err(SemanticError::ChecksumMismatch {
                path,
                expected: expected.clone(),
                actual,
            });
        }
        Ok(VerifiedFile {
            path,
            bytes,
            sha256: actual,
        })
    }
}

fn read(path: &Path) -> Result<Vec<u8>, SemanticError> {
    std::fs::read(path).map_err(|source| match source.kind() {
        std::io::ErrorKind::NotFound => SemanticError::Missing {
            path: path.to_path_buf(),
        },
        _ => SemanticError::Unreadable {
            path: path.to_path_buf(),
            source,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_environment_variable_wins_over_every_other_place() {
        let exe = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(exe.path().join("models").join(MODEL_DIR_NAME)).unwrap();
        let dir = resolve_model_dir(
            Some("/elsewhere/model".into()),
            Some(exe.path()),
            Path::new("/src"),
        );
        assert_eq!(dir, Path::new("/elsewhere/model"));
    }

    #[test]
    fn a_model_beside_the_executable_comes_before_the_installed_one_and_the_source_tree() {
        let root = tempfile::tempdir().unwrap();
        let bin = root.path().join("bin");
        let installed = root
            .path()
            .join("share/hingebot/models")
            .join(MODEL_DIR_NAME);
        std::fs::create_dir_all(&installed).unwrap();
        std::fs::create_dir_all(&bin).unwrap();
        let src = Path::new("/src");

        let found = resolve_model_dir(Some(OsString::new()), Some(&bin), src);
        assert_eq!(
            found.canonicalize().unwrap(),
            installed.canonicalize().unwrap()
        );

        let beside = bin.join("models").join(MODEL_DIR_NAME);
        std::fs::create_dir_all(&beside).unwrap();
        assert_eq!(resolve_model_dir(None, Some(&bin), src), beside);
    }

    #[test]
    fn without_an_installed_model_the_source_tree_is_used() {
        let bin = tempfile::tempdir().unwrap();
        let dir = resolve_model_dir(None, Some(bin.path()), Path::new("/src"));
        assert_eq!(dir, Path::new("/src/models").join(MODEL_DIR_NAME));
    }

    #[test]
    fn a_malformed_checksum_list_names_the_line() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("SHA256SUMS"), "\nnot a checksum line\n").unwrap();
        let err = ModelFiles::open(dir.path()).err().unwrap();
        assert!(
            matches!(err, SemanticError::BadChecksumList { .. }),
            "{err}"
        );
        assert!(err.to_string().contains("line 2"), "{err}");
    }
}
