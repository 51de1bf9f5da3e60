//! What the commands share, opened once: the configuration with the command line's
//! overrides, the directory, the state's history and pending entries, and the journals.

use std::collections::HashSet;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use jiff::Timestamp;

use super::{fail, Env};
use crate::cli::{FormatArg, InputArgs};
use crate::config::{Config, ConfigError};
use crate::decide::lookup::Lookup;
use crate::decide::recipients::History;
use crate::directory;
use crate::error::Error;
use crate::exit_codes::ExitCode;
use crate::ingest::text::TextEncoding;
use crate::ingest::{self as journal, asterisk::ColumnMap, Format, Item};
use crate::state::State;

/// The configuration with the command line's overrides.
pub(crate) fn load_config(path: &Path, input: Option<&InputArgs>) -> Result<Config, Error> {
    let mut config = Config::load(path)?;
    if let Some(input) = input {
        if let Some(enc) = &input.encoding {
            config.encoding = enc
                .parse::<TextEncoding>()
                .map_err(|e| Error::Usage(format!("--encoding: {e}")))?;
        }
        if let Some(state) = &input.state {
            config.state_path = state.clone();
        }
    }
    Ok(config)
}

/// The directory, loaded; problems with rows are reported and counted, an unreadable file is
/// fatal (without the users nobody can be mailed correctly).
pub(crate) struct Loaded {
    pub(crate) lookup: Lookup,
    pub(crate) history: History,
    pub(crate) problems: u64,
}

/// Collects what the directory files yield: bad rows are reported and counted, a file that
/// cannot be read is kept for one fatal message naming all such files.
struct Sink<'e> {
    config: &'e Config,
    unreadable: Vec<crate::config::ConfigError>,
    problems: u64,
    err: &'e mut dyn Write,
}

impl Sink<'_> {
    /// `key`: the configuration key that names the file.
    fn rows<T>(
        &mut self,
        key: &str,
        loaded: Result<(Vec<T>, Vec<directory::DirError>), directory::DirError>,
    ) -> Vec<T> {
        match loaded {
            Ok((list, errs)) => {
                for e in &errs {
                    self.problems += 1;
                    let _ = writeln!(self.err, "{e}");
                }
                list
            }
            Err(e) => {
                self.unreadable
                    .push(self.config.error_at(key, e.to_string()));
                Vec::new()
            }
        }
    }
}

pub(crate) fn load_directory(config: &Config, err: &mut dyn Write) -> Result<Loaded, Error> {
    // directory files are kept by hand: UTF-8 (BOM or not), UTF-16 with BOM, else Windows-1252,
    // whatever the journals' encoding is
    let enc = TextEncoding::Auto;
    let mut sink = Sink {
        config,
        unreadable: Vec::new(),
        problems: 0,
        err,
    };
    let users = sink.rows("directory.users", directory::load_users(&config.users, enc));
    let mut contacts = Vec::new();
    for path in &config.contacts {
        contacts.extend(sink.rows("directory.contacts", directory::load_contacts(path, enc)));
    }
    let lookup = Lookup::new(config.rules.numbers.clone(), users, contacts);
    let mut history = History::default();
    if let Some(path) = &config.logons {
        for l in sink.rows(
            "directory.logons",
            directory::load_logons(path, enc, &config.rules.time_zone),
        ) {
            // the user the directory names by this name has the same key
            history.record_online(l.user.key(), l.time);
        }
    }
    let Sink {
        unreadable,
        problems,
        ..
    } = sink;
    if !unreadable.is_empty() {
        return Err(Error::Config(crate::config::ConfigErrors(unreadable)));
    }
    Ok(Loaded {
        lookup,
        history,
        problems,
    })
}

/// `--now`, or the clock.
fn resolve_now(input: &InputArgs, config: &Config, clock: Timestamp) -> Result<Timestamp, Error> {
    match &input.now {
        None => Ok(clock),
        Some(s) => crate::ingest::time::parse_timestamp(s, &config.rules.time_zone, None)
            .map_err(|e| Error::Usage(format!("--now: {e}"))),
    }
}

/// The items of one journal.
pub(crate) type Sources = Box<dyn Iterator<Item = Item> + Send>;

/// How `--format` and `[asterisk] columns` make a journal be read.
struct Reading {
    /// `--format native`: CSV or JSON Lines is still told apart by the first line.
    native_only: bool,
    forced: Option<Format>,
    columns: Option<ColumnMap>,
}

impl Reading {
    fn of(input: &InputArgs, config: &Config) -> Result<Reading, ConfigError> {
        let columns = match &config.asterisk_columns {
            Some(names) => Some(ColumnMap::from_names(names).map_err(|e| ConfigError {
                file: config.path.clone(),
                line: None,
                key: Some("asterisk.columns".into()),
                message: e.to_string(),
            })?),
            None => None,
        };
        Ok(Reading {
            native_only: input.format == Some(FormatArg::Native),
            forced: (input.format == Some(FormatArg::AsteriskCdr)).then_some(Format::AsteriskCdr),
            columns,
        })
    }
}

/// The journal files named, or standard input when none is (and it is not a terminal).
fn journal_paths(input: &InputArgs, stdin_is_terminal: bool) -> Result<Vec<PathBuf>, Error> {
    let mut paths: Vec<PathBuf> = input.journals.clone();
    if paths.is_empty() {
        if stdin_is_terminal {
            return Err(Error::Usage(
                "no journal: name the export files, or pipe one into standard input (or give `-`)"
                    .into(),
            ));
        }
        paths.push(PathBuf::from("-"));
    }
    Ok(paths)
}

/// Opens one journal; a problem is reported and yields None.
fn open_journal(
    path: &Path,
    reading: &Reading,
    config: &Config,
    stdin: &mut Option<Box<dyn Read + Send>>,
    err: &mut dyn Write,
) -> Option<(Format, Sources)> {
    let name: crate::ingest::FileName = crate::ingest::FileName::new(&path.display().to_string());
    let raw: Box<dyn Read + Send> = if path.as_os_str() == "-" {
        match stdin.take() {
            Some(s) => s,
            None => {
                let _ = writeln!(err, "-: standard input can be read only once");
                return None;
            }
        }
    } else {
        match std::fs::File::open(path) {
            Ok(f) => Box::new(f),
            Err(e) => {
                let _ = writeln!(err, "{name}: cannot open: {e}");
                return None;
            }
        }
    };
    match journal::detect::open(
        raw,
        name,
        config.encoding,
        reading.forced,
        config.rules.time_zone.clone(),
        reading.columns.clone(),
    ) {
        Ok((format, _)) if reading.native_only && format == Format::AsteriskCdr => {
            let _ = writeln!(err, "{name}: --format native, but the file looks like an Asterisk CDR (no u8sConnectionID header)");
            None
        }
        Ok((format, items)) => Some((format, items)),
        Err(e) => {
            let _ = writeln!(err, "{name}: {e}");
            None
        }
    }
}

/// Opens every journal named (or standard input). A journal that cannot be opened is
/// reported and counted; the others are read. Also: whether one of them is an Asterisk CDR.
fn open_journals(
    input: &InputArgs,
    config: &Config,
    stdin: &mut Option<Box<dyn Read + Send>>,
    stdin_is_terminal: bool,
    err: &mut dyn Write,
) -> Result<(Vec<Sources>, u64, bool), Error> {
    let reading = Reading::of(input, config).map_err(crate::config::ConfigErrors::from)?;
    let paths = journal_paths(input, stdin_is_terminal)?;
    let mut sources = Vec::new();
    let mut failed = 0;
    let mut asterisk = false;
    for path in paths {
        match open_journal(&path, &reading, config, stdin, err) {
            Some((format, items)) => {
                asterisk |= format == Format::AsteriskCdr;
                sources.push(items)
            }
            None => failed += 1,
        }
    }
    Ok((sources, failed, asterisk))
}

/// Everything a command that reads journals needs, loaded.
pub(crate) struct Session {
    pub(crate) config: Config,
    pub(crate) now: Timestamp,
    pub(crate) lookup: Lookup,
    pub(crate) history: History,
    /// Problems so far (directory rows, journals that could not be opened).
    pub(crate) problems: u64,
    pub(crate) sources: Vec<Sources>,
    /// One of the journals is an Asterisk CDR: reading it (rows joined into calls) is most of
    /// the work, so it gets a thread of its own ([`super::read_ahead::events`]).
    pub(crate) heavy_reading: bool,
    /// Connection ids of the entries kept from earlier runs (chains that were still ringing).
    pub(crate) pending_ids: HashSet<String>,
}

/// The state's history into `history`, and the entries of the chains still ringing at the
/// last run.
fn load_state(
    state: &State,
    history: &mut History,
) -> Result<(Vec<Item>, HashSet<String>), crate::state::StateError> {
    let mut pending: Vec<Item> = Vec::new();
    let mut pending_ids = HashSet::new();
    // what earlier runs sent and saw, into the rules' history
    let mut online = Vec::new();
    state.load_history(
        |chain, user, caller, start| {
            history.record_sent(chain, user);
            if let Some(c) = caller {
                history.record_notified(user, &c, start);
            }
        },
        |user, at| online.push((user.clone(), at)),
    )?;
    for (user, at) in online {
        history.record_online(&user, at);
    }
    for e in state.pending_entries()? {
        pending_ids.insert(e.connection_id.to_string());
        pending.push(Item::Entry(Box::new(e)));
    }
    Ok((pending, pending_ids))
}

impl Session {
    /// Loads the directory, the state's history and the chains still ringing at the last
    /// run, and opens the journals (the pending chains first). `state`: the run's own
    /// (locked) state; None reads the state file without writing. `Err` is the exit code of a
    /// fatal problem, already reported.
    pub(crate) fn open(
        config: Config,
        input: &InputArgs,
        env: &mut Env<'_>,
        state: Option<&State>,
    ) -> Result<Session, ExitCode> {
        let now = resolve_now(input, &config, env.clock).map_err(|e| fail(env, e))?;
        let Loaded {
            lookup,
            mut history,
            problems,
        } = load_directory(&config, env.stderr).map_err(|e| fail(env, e))?;
        let read_only;
        let state = match state {
            Some(s) => Some(s),
            None => {
                read_only = State::open_read_only(&config.state_path).map_err(|e| fail(env, e))?;
                read_only.as_ref()
            }
        };
        let (pending, pending_ids) = match state {
            Some(state) => load_state(state, &mut history).map_err(|e| fail(env, e))?,
            None => (Vec::new(), HashSet::new()),
        };
        let mut stdin = Some(std::mem::replace(
            &mut env.stdin,
            Box::new(std::io::empty()),
        ));
        let (mut sources, failed, heavy_reading) = open_journals(
            input,
            &config,
            &mut stdin,
            env.stdin_is_terminal,
            env.stderr,
        )
        .map_err(|e| fail(env, e))?;
        sources.insert(0, Box::new(pending.into_iter()));
        Ok(Session {
            config,
            now,
            lookup,
            history,
            problems: problems + failed,
            sources,
            heavy_reading,
            pending_ids,
        })
    }
}
