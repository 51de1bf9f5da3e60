//! Exit codes (SPEC §8).

/// How a command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    /// All done.
    Success,
    /// Finished, but something failed (rows rejected, mails not sent).
    Partial,
    /// Nothing was done (bad configuration or usage).
    Fatal,
}

impl ExitCode {
    pub fn code(self) -> i32 {
        match self {
            ExitCode::Success => 0,
            ExitCode::Partial => 1,
            ExitCode::Fatal => 2,
        }
    }

    /// The worse of two outcomes.
    pub fn and(self, other: ExitCode) -> ExitCode {
        if self.code() >= other.code() {
            self
        } else {
            other
        }
    }
}

impl From<ExitCode> for std::process::ExitCode {
    fn from(c: ExitCode) -> Self {
        std::process::ExitCode::from(c.code() as u8)
    }
}
