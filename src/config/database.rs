//! Where the database lives (a SQLite file or a PostgreSQL URL), and how to name it without its password.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// The `database` setting, understood: a file path means SQLite, a `postgres://` (or
/// `postgresql://`) URL means PostgreSQL. Shown (`Display`, `Debug`) without any password.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseLocation {
    Sqlite(PathBuf),
    Postgres(PostgresUrl),
}

/// Why a `database` setting cannot be used. The messages never contain a password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LocationError {
    #[error("`{scheme}://` is not a database hingebot can use: give a SQLite file path or a postgres:// URL")]
    UnsupportedScheme { scheme: String },
    #[error("{url} is not a valid PostgreSQL URL: {cause}")]
    InvalidUrl { url: String, cause: String },
    #[error("{url}: sslmode=require asks for TLS, which this build does not have; connect over a unix socket or a private network with sslmode=disable or prefer")]
    TlsRequired { url: String },
}

impl DatabaseLocation {
    /// Reads a setting: `postgres://…` / `postgresql://…` is PostgreSQL, anything else without a
    /// `scheme://` prefix is a SQLite file path.
    pub fn parse(setting: &str) -> Result<DatabaseLocation, LocationError> {
        match setting.split_once("://") {
            Some((scheme, _)) if scheme == "postgres" || scheme == "postgresql" => {
                PostgresUrl::parse(setting).map(DatabaseLocation::Postgres)
            }
            Some((scheme, _))
                if !scheme.is_empty()
                    && scheme
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)) =>
            {
                Err(LocationError::UnsupportedScheme {
                    scheme: scheme.to_string(),
                })
            }
            _ => Ok(DatabaseLocation::Sqlite(PathBuf::from(setting))),
        }
    }

    /// [`DatabaseLocation::parse`] for a setting held as a path (a non-UTF-8 path is a file).
    pub fn from_setting(setting: &Path) -> Result<DatabaseLocation, LocationError> {
        match setting.to_str() {
            Some(text) => DatabaseLocation::parse(text),
            None => Ok(DatabaseLocation::Sqlite(setting.to_path_buf())),
        }
    }

    /// `"sqlite"` or `"postgres"`.
    pub fn backend_name(&self) -> &'static str {
        match self {
            DatabaseLocation::Sqlite(_) => "sqlite",
            DatabaseLocation::Postgres(_) => "postgres",
        }
    }
}

impl fmt::Display for DatabaseLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DatabaseLocation::Sqlite(path) => write!(f, "{}", path.display()),
            DatabaseLocation::Postgres(url) => url.fmt(f),
        }
    }
}

impl fmt::Debug for DatabaseLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DatabaseLocation::Sqlite(path) => f.debug_tuple("Sqlite").field(path).finish(),
            DatabaseLocation::Postgres(url) => f.debug_tuple("Postgres").field(url).finish(),
        }
    }
}

/// A PostgreSQL connection URL. The full text (with any password) is only handed to the driver;
/// everything that prints it gets the redacted form `postgres://user:***@host/db`.
#[derive(Clone, PartialEq, Eq)]
pub struct PostgresUrl {
    url: String,
    redacted: String,
    /// The password as written in the URL and as decoded, to scrub from any text shown.
    secrets: Vec<String>,
}

impl PostgresUrl {
    /// Checks the URL with the driver's own parser.
    pub fn parse(url: &str) -> Result<PostgresUrl, LocationError> {
        let (redacted, mut secrets) = redact_url(url);
        let config = tokio_postgres::Config::from_str(url).map_err(|e| {
            let scrub = PostgresUrl {
                url: String::new(),
                redacted: redacted.clone(),
                secrets: secrets.clone(),
            };
            LocationError::InvalidUrl {
                url: redacted.clone(),
                cause: scrub.redact(&error_chain(&e)),
            }
        })?;
        if let Some(password) = config.get_password() {
            secrets.push(String::from_utf8_lossy(password).into_owned());
        }
        secrets.retain(|s| !s.is_empty());
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        secrets.dedup();
        if config.get_ssl_mode() == tokio_postgres::config::SslMode::Require {
            return Err(LocationError::TlsRequired { url: redacted });
        }
        Ok(PostgresUrl {
            url: url.to_string(),
            redacted,
            secrets,
        })
    }

    /// The driver's configuration. Parsing cannot fail again: [`PostgresUrl::parse`] checked it.
    pub(crate) fn driver_config(&self) -> Result<tokio_postgres::Config, LocationError> {
        tokio_postgres::Config::from_str(&self.url).map_err(|e| LocationError::InvalidUrl {
            url: self.redacted.clone(),
            cause: self.redact(&error_chain(&e)),
        })
    }

    /// `text` with every occurrence of this URL's password replaced by `***`.
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.replace(&self.url, &self.redacted);
        for secret in &self.secrets {
            out = out.replace(secret.as_str(), "***");
        }
        out
    }
}

impl fmt::Display for PostgresUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted)
    }
}

impl fmt::Debug for PostgresUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PostgresUrl({:?})", self.redacted)
    }
}

/// The URL with the password of its user-info part and any `password=` parameter replaced by
/// `***`, and the raw (still percent-encoded) passwords it replaced. The user-info part ends at
/// the first `@`, as the driver reads it.
fn redact_url(url: &str) -> (String, Vec<String>) {
    let mut secrets = Vec::new();
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let (main, query) = match rest.split_once('?') {
        Some((main, query)) => (main, Some(query)),
        None => (rest, None),
    };
    let mut out = String::with_capacity(url.len());
    if !scheme.is_empty() {
        out.push_str(scheme);
        out.push_str("://");
    }
    match main.split_once('@') {
        Some((creds, host)) => {
            match creds.split_once(':') {
                Some((user, password)) => {
                    secrets.push(password.to_string());
                    out.push_str(user);
                    out.push_str(":***");
                }
                None => out.push_str(creds),
            }
            out.push('@');
            out.push_str(host);
        }
        None => out.push_str(main),
    }
    if let Some(query) = query {
        out.push('?');
        let params: Vec<String> = query
            .split('&')
            .map(|param| match param.split_once('=') {
                Some((key, value)) if key.eq_ignore_ascii_case("password") => {
                    secrets.push(value.to_string());
                    format!("{key}=***")
                }
                _ => param.to_string(),
            })
            .collect();
        out.push_str(&params.join("&"));
    }
    (out, secrets)
}

/// An error and its causes as one line, `outer: inner: innermost`; a cause already spelled out
/// by the text before it is not repeated.
pub(crate) fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(inner) = cause {
        let more = inner.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        cause = inner.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_sqlite_and_postgres_urls_are_postgres() {
        assert_eq!(
            DatabaseLocation::parse("data/hingebot.sqlite3").unwrap(),
            DatabaseLocation::Sqlite(PathBuf::from("data/hingebot.sqlite3"))
        );
        for url in [
            "postgres://bot@db.internal/hingebot",
            "postgresql://bot@127.0.0.1:5433/hingebot?connect_timeout=5",
        ] {
            let location = DatabaseLocation::parse(url).unwrap();
            assert_eq!(location.backend_name(), "postgres", "{url}");
            assert_eq!(location.to_string(), url, "nothing to hide in {url}");
        }
        let err = DatabaseLocation::parse("mysql://root@localhost/db").unwrap_err();
        assert!(err.to_string().contains("`mysql://`"), "{err}");
        // A Windows path is a path.
        assert_eq!(
            DatabaseLocation::parse(r"C:\bot\hingebot.sqlite3")
                .unwrap()
                .backend_name(),
            "sqlite"
        );
    }

    #[test]
    fn passwords_never_show() {
        let url = "postgres://bot:s%40cr3t-pw@db.internal:5432/hingebot?application_name=hb";
        let location = DatabaseLocation::parse(url).unwrap();
        let shown = [location.to_string(), format!("{location:?}")];
        for text in &shown {
            assert!(
                !text.contains("s%40cr3t-pw") && !text.contains("s@cr3t-pw"),
                "{text}"
            );
            assert!(text.contains("bot:***@db.internal:5432/hingebot"), "{text}");
        }
        let DatabaseLocation::Postgres(pg) = location else {
            panic!("a postgres URL")
        };
        assert_eq!(
            pg.redact("auth failed with s@cr3t-pw for s%40cr3t-pw"),
            "auth failed with *** for ***"
        );

        let in_query = "postgres://bot@db/hb?password=hunter2&sslmode=disable";
        let shown = DatabaseLocation::parse(in_query).unwrap().to_string();
        assert_eq!(shown, "postgres://bot@db/hb?password=***&sslmode=disable");
    }

    #[test]
    fn a_bad_url_is_explained_without_its_password() {
        let err = DatabaseLocation::parse("postgres://bot:hunter2@db/hb?sslmode=sometimes")
            .unwrap_err()
            .to_string();
        assert!(err.contains("sslmode"), "{err}");
        assert!(!err.contains("hunter2"), "{err}");
        let err = DatabaseLocation::parse("postgres://bot:hunter2@db/hb?sslmode=require")
            .unwrap_err()
            .to_string();
        assert!(err.contains("TLS") && !err.contains("hunter2"), "{err}");
    }
}
