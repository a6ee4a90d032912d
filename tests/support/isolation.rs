//! `hingebot` run the way a person runs it, but with a home folder of the test's own, so no test
//! reads or writes the developer's config, database, vector cache or log settings.

use std::path::Path;
use std::process::Command;

/// `hingebot ARGS` in `folder`, with `home` as the home folder: the data and cache folders are the
/// platform's defaults below it, and no `HINGEBOT_*` or `RUST_LOG` variable leaks in.
pub fn isolated(folder: &Path, home: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_hingebot"));
    command
        .current_dir(folder)
        .args(args)
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("APPDATA", home.join("appdata"))
        .env_remove("HINGEBOT_CONFIG")
        .env_remove("HINGEBOT_DATABASE_URL")
        .env_remove("HINGEBOT_MODEL_DIR")
        .env_remove("XDG_CACHE_HOME")
        .env_remove("RUST_LOG");
    command
}
