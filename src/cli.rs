//! The command line as typed (SPEC §6). Resolving it into a configuration happens in `run`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "unanswered",
    version,
    about = "Missed-call e-mails from the call journal of a telephone system",
    long_about = "Reads call-journal exports (native CSV / JSON Lines, Asterisk Master.csv), rebuilds each call's ringing chain, applies the exceptions and sends one clear missed-call mail to each user who should get one.\n\nExit codes: 0 all done; 1 finished, but something failed (rows rejected, mails not sent); 2 nothing was done (bad configuration or usage)."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Decide and send the missed-call mails (SMTP), or print them (--dry-run), or write them as .eml files (--out).
    Run(RunArgs),
    /// Show for every call who was rung, who answered, and who is notified or why not. Changes nothing.
    Explain(ExplainArgs),
    /// Validate the configuration, the directory files, the templates, the languages and the mail transport (--send-test: send a test mail).
    Check(CheckArgs),
    /// Show the mails not yet accepted by the server (queued or failed, with the reasons); retry or drop them.
    Outbox(OutboxArgs),
    /// Start a setup: write a commented configuration, empty users and contacts files, and
    /// systemd units into DIR (never over an existing file).
    Init(InitArgs),
    /// Write the man page or a shell completion script (for packaging: `make install`).
    #[command(hide = true)]
    Generate(GenerateArgs),
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The folder to set up (created when missing).
    #[arg(value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    #[command(subcommand)]
    pub what: Generate,
}

#[derive(Debug, Subcommand)]
pub enum Generate {
    /// The man pages (unanswered.1 and one per subcommand) into DIR.
    Man {
        #[arg(value_name = "DIR")]
        dir: PathBuf,
    },
    /// A completion script for SHELL on standard output.
    Completions {
        #[arg(value_enum, value_name = "SHELL")]
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Args)]
pub struct OutboxArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// State database (overrides [state] path).
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// Queue a failed or waiting mail again for the next run (a Message-ID as listed, or `all`).
    #[arg(long, value_name = "MESSAGE-ID|all", conflicts_with = "drop")]
    pub retry: Option<String>,
    /// Give up on a mail (a Message-ID as listed, or `all`); its call is not mailed again.
    #[arg(long, value_name = "MESSAGE-ID|all")]
    pub drop: Option<String>,
}

#[derive(Debug, Args)]
pub struct CommonArgs {
    /// Configuration file.
    #[arg(
        long,
        short = 'c',
        value_name = "FILE",
        default_value = "unanswered.toml"
    )]
    pub config: PathBuf,
}

#[derive(Debug, Args)]
pub struct InputArgs {
    /// State database (overrides [state] path).
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// The time to judge completeness against (RFC 3339, or local YYYY-MM-DD HH:MM:SS in the configured zone). Default: the clock.
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,
    /// Input format; detected from the first line when not given.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<FormatArg>,
    /// Text encoding of the journals (auto, utf-8, utf-16le, utf-16be, windows-1252); a BOM always wins.
    #[arg(long, value_name = "ENCODING")]
    pub encoding: Option<String>,
    /// Journal files; `-` or none reads standard input.
    #[arg(value_name = "JOURNAL")]
    pub journals: Vec<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// The native journal: CSV with a header, or JSON Lines.
    Native,
    /// Asterisk cdr_csv Master.csv.
    AsteriskCdr,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Print the mails (an mbox stream, RFC 5322 / MIME, for mail tools) instead of sending;
    /// changes no state.
    #[arg(long, conflicts_with_all = ["out", "show"])]
    pub dry_run: bool,
    /// Like --dry-run, but print the mails for a person to read: recipient and subject as
    /// text, then the mail's plain-text part.
    #[arg(long, conflicts_with_all = ["out", "preview"])]
    pub show: bool,
    /// Write one .eml file per mail into DIR instead of sending (recorded in the state like a sent mail).
    #[arg(long, value_name = "DIR", conflicts_with = "preview")]
    pub out: Option<PathBuf>,
    /// Like --dry-run, but write each mail's HTML and text as DIR/<user>.html and .txt, to look at in a browser.
    #[arg(long, value_name = "DIR", conflicts_with = "dry_run")]
    pub preview: Option<PathBuf>,
    /// Say more on standard error.
    #[arg(long, short = 'v')]
    pub verbose: bool,
    /// Write what the run did as JSON into FILE (overrides [report] summary_json).
    #[arg(long, value_name = "FILE")]
    pub summary_json: Option<PathBuf>,
    /// Write Prometheus textfile-collector metrics into FILE (overrides [report] metrics).
    #[arg(long, value_name = "FILE")]
    pub metrics: Option<PathBuf>,
    #[command(flatten)]
    pub input: InputArgs,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// One JSON object per chain, one a line.
    #[arg(long)]
    pub json: bool,
    /// Say more on standard error.
    #[arg(long, short = 'v')]
    pub verbose: bool,
    #[command(flatten)]
    pub input: InputArgs,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Also send one test mail to ADDRESS through the configured transport (SMTP or
    /// sendmail) and print the server's answer, or what to fix.
    #[arg(long, value_name = "ADDRESS")]
    pub send_test: Option<String>,
}
