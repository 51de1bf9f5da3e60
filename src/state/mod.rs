//! The state (SQLite): what was notified, the outbox of mails not yet accepted by the server,
//! the entries of chains still ringing at the last run, and when users were seen logged on.
//!
//! Order of work in a run, so that nothing is lost or doubled:
//! decide → render → **one transaction**: notifications + outbox + pending entries → send each
//! mail → mark it sent at once (its own small transaction). A run killed before the
//! transaction commits has changed nothing; killed after it, the next run sends what is queued.
//! The only mail that can go out twice is one the server accepted in the instant between its
//! 250 and the "sent" mark being written (one mail per killed run at most).

use std::path::{Path, PathBuf};
use std::time::Duration;

use jiff::Timestamp;
use rusqlite::{params, Connection, OpenFlags, OptionalExtension};

use crate::decide::numbers::Number;
use crate::directory::UserKey;
use crate::ingest::Entry;

/// The schema version this build writes; older states are migrated on open.
pub(crate) const SCHEMA_VERSION: i64 = 1;

const MIGRATIONS: &[&str] = &[
    // 0 → 1
    "CREATE TABLE notifications (
        chain TEXT NOT NULL,
        user TEXT NOT NULL,
        caller TEXT,
        call_start INTEGER NOT NULL,
        message_id TEXT NOT NULL,
        created INTEGER NOT NULL,
        PRIMARY KEY (chain, user)
    );
    CREATE INDEX notifications_user_caller ON notifications (user, caller, call_start);
    CREATE TABLE outbox (
        message_id TEXT PRIMARY KEY,
        user TEXT NOT NULL,
        email TEXT NOT NULL,
        subject TEXT NOT NULL,
        chains TEXT NOT NULL,
        bytes BLOB,
        status TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'failed', 'dropped')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_try INTEGER NOT NULL,
        last_error TEXT,
        created INTEGER NOT NULL,
        sent_at INTEGER
    );
    CREATE INDEX outbox_status ON outbox (status, next_try);
    CREATE TABLE pending_entries (
        connection_id TEXT PRIMARY KEY,
        chain TEXT NOT NULL,
        start INTEGER NOT NULL,
        entry TEXT NOT NULL
    );
    CREATE TABLE online (
        user TEXT NOT NULL,
        at INTEGER NOT NULL,
        PRIMARY KEY (user, at)
    );",
];

/// An error of the state, with the file it concerns.
#[derive(Debug, thiserror::Error)]
pub(crate) enum StateError {
    #[error("{path}: {source}")]
    Sqlite {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("{path}: the state was written by a newer unanswered (schema {found}, this one knows {SCHEMA_VERSION}); update unanswered")]
    TooNew { path: PathBuf, found: i64 },
    #[error("{path}: another unanswered run holds the state (waited {waited} s; `state.lock_wait_seconds`); the lock is on the state file itself, whatever path names it, and ends with that run")]
    Locked { path: PathBuf, waited: u64 },
    #[error("{path}: the state is empty (0 bytes): it was truncated or replaced, and taken as new it would mail the calls of the export again (up to `notify.max_age_hours`); restore it from a backup, or delete it to start afresh on purpose")]
    Empty { path: PathBuf },
    #[error("{path}: the state's schema version went backwards (it says {found}, but the tables of a later version are there): it was changed by another program or restored in part; restore it from a backup, or move it away to start afresh (calls of the last `notify.max_age_hours` are then mailed again)")]
    Backwards { path: PathBuf, found: i64 },
    #[error("{path}: {message}")]
    Other { path: PathBuf, message: String },
}

impl StateError {
    /// Without its state a run cannot know what was sent: nothing is done.
    pub(crate) fn exit_code(&self) -> crate::exit_codes::ExitCode {
        crate::exit_codes::ExitCode::Fatal
    }
}

/// Where a mail of the outbox stands (the `status` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OutboxStatus {
    /// Waiting for its next try.
    Queued,
    /// Accepted by the server.
    Sent,
    /// Refused for good; retried only when the admin asks.
    Failed,
    /// Dropped by the admin.
    Dropped,
}

impl OutboxStatus {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            OutboxStatus::Queued => "queued",
            OutboxStatus::Sent => "sent",
            OutboxStatus::Failed => "failed",
            OutboxStatus::Dropped => "dropped",
        }
    }
}

impl std::fmt::Display for OutboxStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl rusqlite::types::FromSql for OutboxStatus {
    fn column_result(value: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
        match value.as_str()? {
            "queued" => Ok(OutboxStatus::Queued),
            "sent" => Ok(OutboxStatus::Sent),
            "failed" => Ok(OutboxStatus::Failed),
            "dropped" => Ok(OutboxStatus::Dropped),
            other => Err(rusqlite::types::FromSqlError::Other(
                format!("unknown outbox status {other:?}").into(),
            )),
        }
    }
}

/// A mail made by this run, as the outbox keeps it.
pub(crate) struct NewMail<'a> {
    pub(crate) message_id: &'a str,
    pub(crate) user: &'a str,
    pub(crate) email: &'a str,
    pub(crate) subject: &'a str,
    /// The chains it tells about.
    pub(crate) chains: &'a [String],
    pub(crate) bytes: &'a [u8],
}

/// A queued or failed mail, for delivery and the admin view.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct OutboxMail {
    pub(crate) message_id: String,
    pub(crate) user: String,
    pub(crate) email: String,
    pub(crate) subject: String,
    pub(crate) chains: Vec<String>,
    pub(crate) bytes: Vec<u8>,
    pub(crate) status: OutboxStatus,
    pub(crate) attempts: i64,
    pub(crate) next_try: Timestamp,
    pub(crate) last_error: Option<String>,
    pub(crate) created: Timestamp,
}

/// The exclusive lock of a run that writes the state: an `flock` on the state file itself
/// (so a symlink, a second name or a bind mount shares it), released by the kernel when the
/// process ends, however it ends. SQLite's own locks are POSIX record locks, which on Linux
/// do not interact with `flock`.
pub(crate) struct RunLock {
    _file: std::fs::File,
}

/// The state database.
pub(crate) struct State {
    conn: Connection,
    path: PathBuf,
}

fn ts(secs: i64) -> Timestamp {
    Timestamp::from_second(secs).unwrap_or(Timestamp::UNIX_EPOCH)
}

impl State {
    fn err(&self, source: rusqlite::Error) -> StateError {
        StateError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    /// Takes the run lock, waiting at most `wait`. A state that does not exist yet is created
    /// here, readable by its owner only, and made a (still empty) database at once.
    pub(crate) fn lock(path: &Path, wait: Duration) -> Result<RunLock, StateError> {
        use std::os::unix::fs::OpenOptionsExt;
        let other = |message: String| StateError::Other {
            path: path.to_path_buf(),
            message,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| other(format!("cannot create the state directory: {e}")))?;
        }
        let (file, created) = match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
        {
            Ok(f) => (f, true),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let f = std::fs::OpenOptions::new()
                    .read(true)
                    .open(path)
                    .map_err(|e| other(format!("cannot open: {e}")))?;
                (f, false)
            }
            Err(e) => return Err(other(format!("cannot create: {e}"))),
        };
        let start = std::time::Instant::now();
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(std::fs::TryLockError::WouldBlock) => {
                    if start.elapsed() >= wait {
                        return Err(StateError::Locked {
                            path: path.to_path_buf(),
                            waited: wait.as_secs(),
                        });
                    }
                    std::thread::sleep(Duration::from_millis(100));
                }
                Err(std::fs::TryLockError::Error(e)) => {
                    return Err(other(format!("cannot lock: {e}")))
                }
            }
        }
        if created {
            // a database header at once, so that only a lost or truncated state is 0 bytes
            Connection::open(path)
                .and_then(|c| c.execute_batch("PRAGMA journal_mode = WAL;"))
                .map_err(|source| StateError::Sqlite {
                    path: path.to_path_buf(),
                    source,
                })?;
        }
        private(path);
        Ok(RunLock { _file: file })
    }

    /// Opens (creating and migrating) the state for a run that writes it. Hold a [`RunLock`].
    pub(crate) fn open(path: &Path) -> Result<State, StateError> {
        if std::fs::metadata(path).is_ok_and(|m| m.len() == 0) {
            return Err(StateError::Empty {
                path: path.to_path_buf(),
            });
        }
        let conn = Connection::open(path).map_err(|source| StateError::Sqlite {
            path: path.to_path_buf(),
            source,
        })?;
        let mut s = State {
            conn,
            path: path.to_path_buf(),
        };
        s.conn
            .busy_timeout(Duration::from_secs(30))
            .map_err(|e| s.err(e))?;
        s.conn
            .execute_batch(
                "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;",
            )
            .map_err(|e| s.err(e))?;
        s.migrate()?;
        private(path);
        Ok(s)
    }

    /// Opens an existing state without writing anything; None when there is none yet.
    pub(crate) fn open_read_only(path: &Path) -> Result<Option<State>, StateError> {
        if !path.exists() {
            return Ok(None);
        }
        let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(
            |source| StateError::Sqlite {
                path: path.to_path_buf(),
                source,
            },
        )?;
        let s = State {
            conn,
            path: path.to_path_buf(),
        };
        s.conn
            .busy_timeout(Duration::from_secs(30))
            .map_err(|e| s.err(e))?;
        let v = s.version()?;
        if v > SCHEMA_VERSION {
            return Err(StateError::TooNew {
                path: path.to_path_buf(),
                found: v,
            });
        }
        if v == 0 && s.has_tables()? {
            return Err(StateError::Backwards {
                path: path.to_path_buf(),
                found: v,
            });
        }
        if v < SCHEMA_VERSION {
            // an empty or old state: nothing in it that this build can read without migrating
            return Ok(None);
        }
        Ok(Some(s))
    }

    fn version(&self) -> Result<i64, StateError> {
        self.conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| self.err(e))
    }

    /// Whether any of our tables exist (a state of version 0 has none).
    fn has_tables(&self) -> Result<bool, StateError> {
        self.conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('notifications', 'outbox', 'pending_entries', 'online')",
                [],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n > 0)
            .map_err(|e| self.err(e))
    }

    fn migrate(&mut self) -> Result<(), StateError> {
        let v = self.version()?;
        if v > SCHEMA_VERSION {
            return Err(StateError::TooNew {
                path: self.path.clone(),
                found: v,
            });
        }
        if v == 0 && self.has_tables()? {
            return Err(StateError::Backwards {
                path: self.path.clone(),
                found: v,
            });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(v as usize) {
            let tx = self.conn.transaction().map_err(|e| StateError::Sqlite {
                path: self.path.clone(),
                source: e,
            })?;
            tx.execute_batch(sql)
                .and_then(|_| tx.execute_batch(&format!("PRAGMA user_version = {}", i + 1)))
                .and_then(|_| tx.commit())
                .map_err(|e| StateError::Sqlite {
                    path: self.path.clone(),
                    source: e,
                })?;
        }
        Ok(())
    }

    /// Reads what the rules need from earlier runs, as plain rows: every notification
    /// (chain, user, caller if known, call start) to `on_notified`, and every time a user was
    /// seen logged on to `on_online`.
    pub(crate) fn load_history(
        &self,
        mut on_notified: impl FnMut(&str, &UserKey, Option<Number>, Timestamp),
        mut on_online: impl FnMut(&UserKey, Timestamp),
    ) -> Result<(), StateError> {
        let mut stmt = self
            .conn
            .prepare("SELECT chain, user, caller, call_start FROM notifications")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, i64>(3)?,
                ))
            })
            .map_err(|e| self.err(e))?;
        for row in rows {
            let (chain, user, caller, start) = row.map_err(|e| self.err(e))?;
            let user = UserKey::of(&user);
            on_notified(&chain, &user, caller.map(|c| parse_number(&c)), ts(start));
        }
        let mut stmt = self
            .conn
            .prepare("SELECT user, at FROM online")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
            .map_err(|e| self.err(e))?;
        for row in rows {
            let (user, at) = row.map_err(|e| self.err(e))?;
            on_online(&UserKey::of(&user), ts(at));
        }
        Ok(())
    }

    /// The entries of chains that were incomplete at the last run, to be read again.
    pub(crate) fn pending_entries(&self) -> Result<Vec<Entry>, StateError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT connection_id, entry FROM pending_entries ORDER BY start, connection_id",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
            .map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        for row in rows {
            let (id, json) = row.map_err(|e| self.err(e))?;
            let e: Entry = serde_json::from_str(&json).map_err(|e| StateError::Other {
                path: self.path.clone(),
                message: format!("pending entry {id} cannot be read: {e}"),
            })?;
            out.push(e);
        }
        Ok(out)
    }

    /// Starts the one transaction of a run: mails go in one by one ([`RunTx::add_mail`]), so a
    /// run holds one rendered mail at a time, and [`RunTx::finish`] commits them together with
    /// the chains still ringing and the logons seen. Dropped without `finish`: nothing happened.
    pub(crate) fn begin_run(&mut self, now: Timestamp) -> Result<RunTx<'_>, StateError> {
        let path = self.path.clone();
        let tx = self
            .conn
            .transaction()
            .map_err(|source| StateError::Sqlite {
                path: path.clone(),
                source,
            })?;
        Ok(RunTx { tx, now, path })
    }

    /// The Message-IDs of the mails to send now: queued ones whose next try has come, oldest
    /// first. Load each with [`State::outbox_mail`], one at a time.
    pub(crate) fn due(&self, now: Timestamp) -> Result<Vec<String>, StateError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT message_id FROM outbox WHERE status = 'queued' AND next_try <= ?1 ORDER BY created, message_id",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![now.as_second()], |r| r.get(0))
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.err(e))
    }

    /// One mail of the outbox.
    pub(crate) fn outbox_mail(&self, message_id: &str) -> Result<Option<OutboxMail>, StateError> {
        Ok(self
            .outbox_where("message_id = ?1", params![message_id])?
            .into_iter()
            .next())
    }

    /// Queued and failed mails, for the admin view.
    pub(crate) fn unsent(&self) -> Result<Vec<OutboxMail>, StateError> {
        self.outbox_where("status IN ('queued', 'failed')", params![])
    }

    fn outbox_where(
        &self,
        cond: &str,
        p: impl rusqlite::Params,
    ) -> Result<Vec<OutboxMail>, StateError> {
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT message_id, user, email, subject, chains, bytes, status, attempts, next_try, last_error, created
                 FROM outbox WHERE {cond} ORDER BY created, message_id"
            ))
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(p, |r| {
                Ok(OutboxMail {
                    message_id: r.get(0)?,
                    user: r.get(1)?,
                    email: r.get(2)?,
                    subject: r.get(3)?,
                    chains: r
                        .get::<_, String>(4)?
                        .split('\n')
                        .filter(|s| !s.is_empty())
                        .map(String::from)
                        .collect(),
                    bytes: r.get::<_, Option<Vec<u8>>>(5)?.unwrap_or_default(),
                    status: r.get(6)?,
                    attempts: r.get(7)?,
                    next_try: ts(r.get(8)?),
                    last_error: r.get(9)?,
                    created: ts(r.get(10)?),
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.err(e))
    }

    /// The server accepted the mail.
    pub(crate) fn mark_sent(&self, message_id: &str, now: Timestamp) -> Result<(), StateError> {
        self.conn
            .execute(
                "UPDATE outbox SET status = 'sent', sent_at = ?2, attempts = attempts + 1, last_error = NULL WHERE message_id = ?1",
                params![message_id, now.as_second()],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// A temporary failure: try again later (backoff grows with the attempts, at most 1 h).
    pub(crate) fn mark_retry(
        &self,
        message_id: &str,
        now: Timestamp,
        error: &str,
    ) -> Result<Timestamp, StateError> {
        let attempts: i64 = self
            .conn
            .query_row(
                "SELECT attempts FROM outbox WHERE message_id = ?1",
                params![message_id],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))?
            .unwrap_or(0);
        let delay = (60i64 << attempts.clamp(0, 6)).min(3600);
        let next = now.as_second() + delay;
        self.conn
            .execute(
                "UPDATE outbox SET attempts = attempts + 1, next_try = ?2, last_error = ?3 WHERE message_id = ?1",
                params![message_id, next, error],
            )
            .map_err(|e| self.err(e))?;
        Ok(ts(next))
    }

    /// A permanent failure: kept with the server's words until an admin retries or drops it.
    pub(crate) fn mark_failed(&self, message_id: &str, error: &str) -> Result<(), StateError> {
        self.conn
            .execute(
                "UPDATE outbox SET status = 'failed', attempts = attempts + 1, last_error = ?2 WHERE message_id = ?1",
                params![message_id, error],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// Admin: queue failed (or waiting) mails again, due at once for the next run, whatever
    /// clock that run has (`--now` or the system clock). `None` = all unsent.
    pub(crate) fn retry(&self, message_id: Option<&str>) -> Result<usize, StateError> {
        let sql = "UPDATE outbox SET status = 'queued', next_try = ?2 WHERE status IN ('queued', 'failed') AND (?1 IS NULL OR message_id = ?1)";
        self.conn
            .execute(sql, params![message_id, i64::MIN])
            .map_err(|e| self.err(e))
    }

    /// Admin: give up on unsent mails. The notification stays recorded, so they are not made again.
    pub(crate) fn drop_mail(
        &self,
        message_id: Option<&str>,
        now: Timestamp,
    ) -> Result<usize, StateError> {
        let sql = "UPDATE outbox SET status = 'dropped', sent_at = ?2 WHERE status IN ('queued', 'failed') AND (?1 IS NULL OR message_id = ?1)";
        self.conn
            .execute(sql, params![message_id, now.as_second()])
            .map_err(|e| self.err(e))
    }

    /// Counts of the outbox by status.
    pub(crate) fn counts(&self) -> Result<Vec<(String, i64)>, StateError> {
        let mut stmt = self
            .conn
            .prepare("SELECT status, COUNT(*) FROM outbox GROUP BY status ORDER BY status")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.err(e))
    }
}

/// The state and its journal files (`-wal`, `-shm`) readable by their owner only: they hold
/// callers' numbers and mail bodies. (SQLite creates the journal files with the database's
/// mode; this also tightens a state made by an older version.)
fn private(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        if let Ok(m) = std::fs::metadata(&p) {
            if m.permissions().mode() & 0o077 != 0 {
                let _ = std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600));
            }
        }
    }
}

fn parse_number(s: &str) -> Number {
    if s.starts_with('+') {
        Number::E164(s.into())
    } else if s.bytes().all(|b| b.is_ascii_digit()) && !s.is_empty() {
        Number::Extension(s.into())
    } else {
        Number::Other(s.into())
    }
}

/// One notification to record.
#[derive(Debug, Clone)]
pub(crate) struct NotificationRecord {
    pub(crate) chain: String,
    /// Stored folded, as the rules compare users.
    pub(crate) user: UserKey,
    pub(crate) caller: Option<Number>,
    pub(crate) call_start: Timestamp,
    pub(crate) message_id: String,
}

/// The open transaction of a run.
pub(crate) struct RunTx<'a> {
    tx: rusqlite::Transaction<'a>,
    now: Timestamp,
    path: PathBuf,
}

impl RunTx<'_> {
    fn err(&self, source: rusqlite::Error) -> StateError {
        StateError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    /// Queues a mail and records the notifications it makes.
    pub(crate) fn add_mail(
        &self,
        m: &NewMail<'_>,
        notifications: &[NotificationRecord],
    ) -> Result<(), StateError> {
        let mut notif = self
            .tx
            .prepare_cached(
                "INSERT OR IGNORE INTO notifications (chain, user, caller, call_start, message_id, created)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .map_err(|e| self.err(e))?;
        for n in notifications {
            notif
                .execute(params![
                    n.chain,
                    n.user.as_str(),
                    n.caller.as_ref().map(|c| c.as_str().to_string()),
                    n.call_start.as_second(),
                    n.message_id,
                    self.now.as_second()
                ])
                .map_err(|e| self.err(e))?;
        }
        self.tx
            .prepare_cached(
                "INSERT OR IGNORE INTO outbox (message_id, user, email, subject, chains, bytes, status, attempts, next_try, created)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'queued', 0, ?7, ?7)",
            )
            .and_then(|mut out| {
                out.execute(params![
                    m.message_id,
                    m.user,
                    m.email,
                    m.subject,
                    m.chains.join("\n"),
                    m.bytes,
                    self.now.as_second()
                ])
            })
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// Records the chains still ringing, forgets the kept entries decided now, stores logon
    /// times, tidies, and commits everything of the run at once.
    pub(crate) fn finish(
        self,
        pending: &[(String, Entry)],
        decided_entries: &[String],
        online: &[(UserKey, Timestamp)],
    ) -> Result<(), StateError> {
        let now = self.now.as_second();
        let work = || -> Result<(), rusqlite::Error> {
            let mut del = self
                .tx
                .prepare_cached("DELETE FROM pending_entries WHERE connection_id = ?1")?;
            for id in decided_entries {
                del.execute(params![id])?;
            }
            let mut pend = self.tx.prepare_cached(
                "INSERT OR REPLACE INTO pending_entries (connection_id, chain, start, entry) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for (chain, e) in pending {
                let json = serde_json::to_string(e).expect("entries serialise");
                pend.execute(params![
                    e.connection_id.as_str(),
                    chain,
                    e.start.as_second(),
                    json
                ])?;
            }
            let mut on = self
                .tx
                .prepare_cached("INSERT OR IGNORE INTO online (user, at) VALUES (?1, ?2)")?;
            for (user, at) in online {
                on.execute(params![user.as_str(), at.as_second()])?;
            }
            // logon times: keep 100 days, and always each user's latest
            self.tx.execute(
                "DELETE FROM online WHERE at < ?1 AND at < (SELECT MAX(at) FROM online o WHERE o.user = online.user)",
                params![now - 100 * 86400],
            )?;
            // the bodies of sent mails are kept 30 days for the admin, then only their record
            self.tx.execute(
                "UPDATE outbox SET bytes = NULL WHERE status IN ('sent', 'dropped') AND sent_at < ?1 AND bytes IS NOT NULL",
                params![now - 30 * 86400],
            )?;
            Ok(())
        };
        work().map_err(|e| self.err(e))?;
        let path = self.path.clone();
        self.tx
            .commit()
            .map_err(|source| StateError::Sqlite { path, source })
    }
}
