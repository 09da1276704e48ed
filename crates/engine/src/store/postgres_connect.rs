//! Connecting to PostgreSQL as an operator expects from libpq: the URL's gaps
//! filled from `PGHOST`, `PGPORT`, `PGUSER`, `PGDATABASE`, `PGPASSWORD`,
//! `PGAPPNAME`, `PGCONNECT_TIMEOUT` and the password file (`PGPASSFILE` or
//! `~/.pgpass`), so a password need not sit in a unit file or a process list;
//! URLs redacted of their password in every message; and a failed connection
//! named by its cause (authentication failed, no such database, connection
//! refused) instead of the driver's "db error".

use super::StoreError;
use postgres::config::Host;
use postgres::error::SqlState;
use std::time::Duration;

/// The application name each connection reports (`pg_stat_activity`) when
/// neither the URL nor `PGAPPNAME` gives one, so an operator can tell Atelier's
/// connections apart (and each instance's, by naming them in the URL).
pub const DEFAULT_APPLICATION_NAME: &str = "atelier";

/// `location` with any password removed (in the user info or as a
/// `password=` parameter), for every message and log line that names it. A path
/// or a URL without a password is returned as it is.
pub fn redact_url(location: &str) -> String {
    let Some(scheme) = location.find("://") else {
        return location.to_string();
    };
    let (base, query) = match location.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (location, None),
    };
    let mut out = match base.rfind('@') {
        Some(at) if at > scheme => {
            let user_info = &base[scheme + 3..at];
            let user = user_info.split(':').next().unwrap_or("");
            format!("{}{user}@{}", &base[..scheme + 3], &base[at + 1..])
        }
        _ => base.to_string(),
    };
    if let Some(query) = query {
        let pairs: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=<redacted>"),
                _ => pair.to_string(),
            })
            .collect();
        out.push('?');
        out.push_str(&pairs.join("&"));
    }
    out
}

/// Parses `url` and fills what it leaves unsaid as libpq would: from the
/// environment `env` looks up, then (for the password) from `pgpass`, the
/// password file's text when it is readable and private.
pub(super) fn config_from(
    url: &str,
    env: &dyn Fn(&str) -> Option<String>,
    pgpass: &dyn Fn() -> Option<String>,
) -> Result<postgres::Config, StoreError> {
    // The driver fills in port 5432 while parsing, so PGPORT goes into the URL
    // itself when the URL names none.
    let url = match env("PGPORT").and_then(|p| p.parse::<u16>().ok()) {
        Some(port) => with_port(url, port),
        None => url.to_string(),
    };
    let url = url.as_str();
    let mut config: postgres::Config = url.parse().map_err(|e| {
        StoreError::Database(format!("not a PostgreSQL URL '{}': {e}", redact_url(url)))
    })?;
    if config.get_hosts().is_empty() {
        config.host(&env("PGHOST").unwrap_or_else(|| "localhost".into()));
    }
    if config.get_user().is_none() {
        let user = env("PGUSER").or_else(|| env("USER")).unwrap_or_default();
        if !user.is_empty() {
            config.user(&user);
        }
    }
    if config.get_dbname().is_none()
        && let Some(db) = env("PGDATABASE")
    {
        config.dbname(&db);
    }
    if config.get_application_name().is_none() {
        let name = env("PGAPPNAME").unwrap_or_else(|| DEFAULT_APPLICATION_NAME.into());
        config.application_name(&name);
    }
    if config.get_connect_timeout().is_none()
        && let Some(secs) = env("PGCONNECT_TIMEOUT").and_then(|s| s.parse::<u64>().ok())
        && secs > 0
    {
        config.connect_timeout(Duration::from_secs(secs.max(2)));
    }
    if config.get_password().is_none() {
        if let Some(password) = env("PGPASSWORD") {
            config.password(password);
        } else if let Some(text) = pgpass()
            && let Some(password) = pgpass_lookup(&text, &config)
        {
            config.password(password);
        }
    }
    Ok(config)
}

/// `url` with `:port` after its (single) host when it names no port.
fn with_port(url: &str, port: u16) -> String {
    let Some(scheme) = url.find("://") else {
        return url.to_string();
    };
    let start = scheme + 3;
    let end = url[start..]
        .find(['/', '?'])
        .map_or(url.len(), |i| start + i);
    let authority = &url[start..end];
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let named = match host.rfind(']') {
        Some(close) => host[close..].contains(':'),
        None => host.contains(':') || host.contains(','),
    };
    if named || host.is_empty() {
        return url.to_string();
    }
    format!("{}:{port}{}", &url[..end], &url[end..])
}

/// The process's environment and password file, as [`config_from`] reads them.
pub(super) fn config_from_env(url: &str) -> Result<postgres::Config, StoreError> {
    config_from(url, &|name| std::env::var(name).ok(), &read_pgpass)
}

/// The password file's text: `PGPASSFILE`, else `~/.pgpass`; ignored (as libpq
/// does) when others than its owner may read it (chmod 0600).
fn read_pgpass() -> Option<String> {
    let path = match std::env::var_os("PGPASSFILE") {
        Some(p) => std::path::PathBuf::from(p),
        None => std::path::PathBuf::from(std::env::var_os("HOME")?).join(".pgpass"),
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).ok()?.permissions().mode();
        if mode & 0o077 != 0 {
            return None;
        }
    }
    std::fs::read_to_string(path).ok()
}

/// The first `host:port:database:user:password` line matching the connection
/// (`*` matches anything; `\:` and `\\` escape).
fn pgpass_lookup(text: &str, config: &postgres::Config) -> Option<String> {
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(h)) => h.clone(),
        _ => "localhost".to_string(),
    };
    let port = config
        .get_ports()
        .first()
        .copied()
        .unwrap_or(5432)
        .to_string();
    let user = config.get_user().unwrap_or_default();
    let db = config.get_dbname().unwrap_or(user);
    text.lines()
        .filter(|l| !l.trim_start().starts_with('#') && !l.trim().is_empty())
        .find_map(|line| {
            let fields = split_pgpass(line);
            let [h, p, d, u, password] = fields.as_slice() else {
                return None;
            };
            let matches = |field: &str, value: &str| field == "*" || field == value;
            (matches(h, &host) && matches(p, &port) && matches(d, db) && matches(u, user))
                .then(|| password.clone())
        })
}

fn split_pgpass(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let (Some(next), Some(last)) = (chars.next(), fields.last_mut()) {
                    last.push(next);
                }
            }
            ':' if fields.len() < 5 => fields.push(String::new()),
            c => {
                if let Some(last) = fields.last_mut() {
                    last.push(c);
                }
            }
        }
    }
    fields
}

/// Why a connection failed, in an operator's words, without the password.
pub(super) fn connect_failure(e: &postgres::Error, config: &postgres::Config, url: &str) -> String {
    let user = config.get_user().unwrap_or("?");
    let db = config.get_dbname().unwrap_or(user);
    let at = target(config);
    if let Some(server) = e.as_db_error() {
        let code = server.code();
        return if *code == SqlState::INVALID_PASSWORD
            || *code == SqlState::INVALID_AUTHORIZATION_SPECIFICATION
        {
            format!(
                "authentication failed for user \"{user}\" at {at} ({}): check the password (the URL, PGPASSWORD or ~/.pgpass) and pg_hba.conf",
                server.message()
            )
        } else if *code == SqlState::INVALID_CATALOG_NAME {
            format!(
                "database \"{db}\" does not exist at {at}: create it (createdb --owner {user} {db})"
            )
        } else {
            format!("{} ({}) at {at}", server.message(), code.code())
        };
    }
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            return match io.kind() {
                std::io::ErrorKind::ConnectionRefused => format!(
                    "connection refused at {at}: is PostgreSQL running and listening there (listen_addresses, port)?"
                ),
                std::io::ErrorKind::TimedOut => {
                    format!("no answer from {at} in time: is the host reachable?")
                }
                _ => format!("cannot reach {at}: {io}"),
            };
        }
        source = s.source();
    }
    let text = e.to_string();
    format!(
        "cannot connect to {}: {}",
        redact_url(url),
        redact_secret(&text, config)
    )
}

/// Where a configuration connects: `host:port` of its first host.
fn target(config: &postgres::Config) -> String {
    let port = config.get_ports().first().copied().unwrap_or(5432);
    match config.get_hosts().first() {
        Some(Host::Tcp(h)) => format!("{h}:{port}"),
        #[cfg(unix)]
        Some(Host::Unix(p)) => format!("{}:{port}", p.display()),
        None => format!("localhost:{port}"),
    }
}

/// `text` with the configured password blanked, should a driver message hold it.
fn redact_secret(text: &str, config: &postgres::Config) -> String {
    match config.get_password() {
        Some(p) if !p.is_empty() => text.replace(String::from_utf8_lossy(p).as_ref(), "<redacted>"),
        _ => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn passwords_are_kept_out_of_urls_in_messages() {
        assert_eq!(
            redact_url("postgres://planner:s3cret@db.example:5432/atelier"),
            "postgres://planner@db.example:5432/atelier"
        );
        assert_eq!(
            redact_url("postgres://db.example/atelier?user=a&password=s3cret&sslmode=disable"),
            "postgres://db.example/atelier?user=a&password=<redacted>&sslmode=disable"
        );
        assert_eq!(
            redact_url("postgres://localhost/atelier"),
            "postgres://localhost/atelier"
        );
        assert_eq!(redact_url("/var/lib/atelier.db"), "/var/lib/atelier.db");
    }

    #[test]
    fn the_url_gaps_are_filled_from_the_libpq_environment() {
        let vars = [
            ("PGPASSWORD", "from-env"),
            ("PGUSER", "ann"),
            ("PGDATABASE", "seasons"),
            ("PGPORT", "6543"),
            ("PGAPPNAME", "atelier-a"),
        ];
        let c = config_from("postgres://db.internal", &env(&vars), &|| None).unwrap();
        assert_eq!(c.get_password(), Some(&b"from-env"[..]));
        assert_eq!(c.get_user(), Some("ann"));
        assert_eq!(c.get_dbname(), Some("seasons"));
        assert_eq!(c.get_ports(), &[6543]);
        assert_eq!(c.get_application_name(), Some("atelier-a"));
        // The URL wins over the environment.
        let c = config_from("postgres://bob:url@db.internal/x", &env(&vars), &|| None).unwrap();
        assert_eq!(c.get_password(), Some(&b"url"[..]));
        assert_eq!(c.get_user(), Some("bob"));
        assert_eq!(c.get_application_name(), Some("atelier-a"));
        let c = config_from("postgres://bob@db.internal/x", &env(&[]), &|| None).unwrap();
        assert_eq!(c.get_application_name(), Some(DEFAULT_APPLICATION_NAME));
        // A port in the URL wins over PGPORT.
        let c = config_from("postgres://bob@db.internal:7000/x", &env(&vars), &|| None).unwrap();
        assert_eq!(c.get_ports(), &[7000]);
    }

    #[test]
    fn the_password_file_is_read_when_the_url_and_environment_give_none() {
        let pgpass = "# comment\nother:5432:*:*:wrong\ndb.internal:5432:atelier:bob:pa\\:ss\n*:*:*:*:fallback\n";
        let read = || Some(pgpass.to_string());
        let c = config_from("postgres://bob@db.internal/atelier", &env(&[]), &read).unwrap();
        assert_eq!(c.get_password(), Some(&b"pa:ss"[..]));
        let c = config_from("postgres://bob@elsewhere/atelier", &env(&[]), &read).unwrap();
        assert_eq!(c.get_password(), Some(&b"fallback"[..]));
        let c = config_from(
            "postgres://bob@db.internal/atelier",
            &env(&[("PGPASSWORD", "env")]),
            &read,
        )
        .unwrap();
        assert_eq!(c.get_password(), Some(&b"env"[..]));
    }
}
