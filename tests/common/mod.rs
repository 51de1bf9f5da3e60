//! Helpers shared by the integration tests: a project folder with configuration and users,
//! running the real binary, and an in-process SMTP server with faults.
#![allow(dead_code)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_unanswered")
}

/// A temporary folder with `unanswered.toml`, `users.csv` and journals.
pub struct Project {
    pub dir: tempfile::TempDir,
}

pub const USERS: &str = "user,name,email,lines,language,notify,time_zone\n\
anna,Anna Schmidt,anna@example.com,201,de,yes,\n\
bert,Bert Meyer,bert@example.com,202,en,yes,\n\
carl,Carl Weber,carl@example.com,203,en,yes,\n";

impl Project {
    /// `extra` is appended to a configuration that has the users file and `time_zone = "UTC"`.
    pub fn new(extra: &str) -> Project {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("users.csv"), USERS).unwrap();
        let p = Project { dir };
        p.config(extra);
        p
    }

    pub fn config(&self, extra: &str) {
        std::fs::write(
            self.path("unanswered.toml"),
            format!("time_zone = \"UTC\"\n{extra}\n"),
        )
        .unwrap();
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    /// Runs the binary with `--config` of this project added after the subcommand.
    pub fn run(&self, args: &[&str]) -> Output {
        let mut cmd = Command::new(bin());
        cmd.arg(args[0])
            .arg("--config")
            .arg(self.path("unanswered.toml"))
            .args(&args[1..])
            .env_remove("UNANSWERED_SMTP_PASSWORD");
        cmd.output().unwrap()
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(bin());
        cmd.arg(args[0])
            .arg("--config")
            .arg(self.path("unanswered.toml"))
            .args(&args[1..]);
        cmd
    }
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A journal header and a row: one missed call from `caller` to `line`.
pub const HEADER: &str = "u8sConnectionID,u8sTrackerID,stStartTime,stStopTime,stConnectTime,iOrigin,u8sLineNumber,u8sPhoneNumber,TrackerLastCall\n";

pub fn row(id: &str, start: &str, line: &str, caller: &str) -> String {
    let t: jiff::civil::Time = start.parse().unwrap();
    let stop = t
        .saturating_add(jiff::SignedDuration::from_secs(20))
        .strftime("%H:%M:%S");
    format!("{id},T{id},2026-11-26 {start},2026-11-26 {stop},,0,{line},{caller},1\n")
}

/// A journal of `n` one-entry calls to line 201 from distinct callers, one a second from 08:00.
pub fn many_calls(n: usize, prefix: &str) -> String {
    let mut journal = String::from(HEADER);
    for i in 0..n {
        let start = format!("{:02}:{:02}:{:02}", 8 + i / 3600, (i / 60) % 60, i % 60);
        journal.push_str(&row(
            &format!("{prefix}{i}"),
            &start,
            "201",
            &format!("0301{i:06}"),
        ));
    }
    journal
}

/// One received mail.
#[derive(Debug, Clone)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    pub data: Vec<u8>,
}

/// Faults the server plays.
#[derive(Debug, Default)]
pub struct Faults {
    /// Answer 451 to this many DATA transactions first.
    pub tempfail_first: usize,
    /// Answer 550 to RCPT addresses containing this.
    pub reject_rcpt: Option<String>,
    /// Sleep this long before answering each DATA.
    pub delay_ms: u64,
}

#[derive(Default)]
struct Shared {
    received: Vec<Received>,
    faults: Faults,
    datas: usize,
}

/// An SMTP server on 127.0.0.1 in this process (mailin-embedded), recording what it accepts.
#[derive(Clone)]
pub struct Smtp {
    shared: Arc<Mutex<Shared>>,
    current: Received,
    pub port: u16,
}

impl Smtp {
    pub fn start(faults: Faults) -> Smtp {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let s = Smtp {
            shared: Arc::new(Mutex::new(Shared {
                faults,
                ..Shared::default()
            })),
            current: Received {
                from: String::new(),
                to: Vec::new(),
                data: Vec::new(),
            },
            port,
        };
        let mut server = mailin_embedded::Server::new(s.clone());
        server
            .with_name("test.local")
            .with_tcp_listener(listener)
            .with_num_threads(2);
        std::thread::spawn(move || {
            let _ = server.serve();
        });
        s
    }

    pub fn received(&self) -> Vec<Received> {
        self.shared.lock().unwrap().received.clone()
    }

    pub fn config(&self) -> String {
        format!(
            "[smtp]\nhost = \"127.0.0.1\"\nport = {}\ntls = \"none\"\ntimeout_seconds = 5\n",
            self.port
        )
    }

    /// The Message-ID header of each received mail.
    pub fn message_ids(&self) -> Vec<String> {
        self.received()
            .iter()
            .map(|r| {
                let t = text(&r.data);
                t.lines()
                    .find_map(|l| l.strip_prefix("Message-ID: ").map(|s| s.trim().to_string()))
                    .unwrap_or_default()
            })
            .collect()
    }
}

impl mailin_embedded::Handler for Smtp {
    fn mail(
        &mut self,
        _ip: std::net::IpAddr,
        _domain: &str,
        from: &str,
    ) -> mailin_embedded::Response {
        self.current = Received {
            from: from.to_string(),
            to: Vec::new(),
            data: Vec::new(),
        };
        mailin_embedded::response::OK
    }

    fn rcpt(&mut self, to: &str) -> mailin_embedded::Response {
        let shared = self.shared.lock().unwrap();
        if let Some(bad) = &shared.faults.reject_rcpt {
            if to.contains(bad.as_str()) {
                return mailin_embedded::Response::custom(
                    550,
                    format!("5.1.1 <{to}>: mailbox unavailable"),
                );
            }
        }
        self.current.to.push(to.to_string());
        mailin_embedded::response::OK
    }

    fn data_start(
        &mut self,
        _d: &str,
        _f: &str,
        _is8bit: bool,
        _to: &[String],
    ) -> mailin_embedded::Response {
        self.current.data.clear();
        mailin_embedded::response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.current.data.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> mailin_embedded::Response {
        let delay = self.shared.lock().unwrap().faults.delay_ms;
        if delay > 0 {
            std::thread::sleep(std::time::Duration::from_millis(delay));
        }
        let mut shared = self.shared.lock().unwrap();
        shared.datas += 1;
        if shared.datas <= shared.faults.tempfail_first {
            return mailin_embedded::Response::custom(451, "4.3.0 Try again later".to_string());
        }
        shared.received.push(self.current.clone());
        mailin_embedded::response::OK
    }
}

/// The samples folder of the repository.
pub fn samples() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/samples"))
}
