//! The store the decisions put the chains that wait for a callback in, past their memory
//! budget ([`crate::decide::spill`]): an unlinked temporary file, created readable by its
//! owner only (it holds call data) and only when the first block goes there, so a short
//! export never makes one. Nothing names it, so nothing is left behind by a killed run; the
//! space is given back whenever every block put has been read back.
//!
//! When the file cannot be made or written (no temporary directory, a full disk), the blocks
//! stay in memory, as they did before there was a file, and the run goes on: for a cron job,
//! mails about missed calls that go out matter more than the memory, and a run that stopped
//! would stop again at the next start. [`TempFile::warning`] then says so, once. A block that
//! was written and cannot be read back is lost; that ends the decisions with the error.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;

use crate::decide::spill::Overflow;

/// See the module's comment.
pub(crate) struct TempFile {
    /// Makes the file (a test makes one that fails).
    make: fn() -> io::Result<File>,
    file: Option<File>,
    /// Where the next block goes.
    end: u64,
    /// Blocks written and not read back.
    out: usize,
    /// The file could not be made or written: every block stays in memory from then on.
    warning: Option<String>,
}

impl TempFile {
    /// A store over a temporary file in the system's temporary directory (`TMPDIR`).
    pub(crate) fn new() -> Self {
        Self::made_by(tempfile::tempfile)
    }

    fn made_by(make: fn() -> io::Result<File>) -> Self {
        TempFile {
            make,
            file: None,
            end: 0,
            out: 0,
            warning: None,
        }
    }

    /// Why the calls that wait were held in memory after all; None when the file took every
    /// block it was given (or none was needed).
    pub(crate) fn warning(&self) -> Option<&str> {
        self.warning.as_deref()
    }

    fn write(&mut self, block: &[u8]) -> io::Result<u64> {
        let file = match &mut self.file {
            Some(f) => f,
            None => self.file.insert((self.make)()?),
        };
        let at = self.end;
        file.write_all_at(block, at)?;
        self.end += block.len() as u64;
        self.out += 1;
        Ok(at)
    }
}

impl Overflow for TempFile {
    type Slot = (u64, usize);
    type Error = io::Error;

    fn put(&mut self, block: Vec<u8>) -> Result<(u64, usize), Vec<u8>> {
        if self.warning.is_some() {
            return Err(block);
        }
        match self.write(&block) {
            Ok(at) => Ok((at, block.len())),
            Err(e) => {
                self.warning = Some(format!(
                    "the calls that wait for a callback could not go to a temporary file in {} \
                     ({e}); they are held in memory",
                    std::env::temp_dir().display()
                ));
                Err(block)
            }
        }
    }

    fn take(&mut self, (at, len): (u64, usize)) -> io::Result<Vec<u8>> {
        let Some(file) = &self.file else {
            return Err(io::Error::other("no temporary file"));
        };
        let mut block = vec![0; len];
        file.read_exact_at(&mut block, at)?;
        self.out -= 1;
        if self.out == 0 && self.warning.is_none() {
            // all read back: the file starts again (its space given back when it can be)
            self.end = 0;
            let _ = file.set_len(0);
        }
        Ok(block)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decide::spill::{Limits, Queue};

    /// Pushes `n` records through a queue over `store` that spills every full block, then
    /// pops them all; the records popped, or the error that ended it.
    fn through(store: &mut TempFile, n: u8) -> io::Result<Vec<Vec<u8>>> {
        let limits = Limits {
            block_bytes: 100,
            budget: 0,
            ..Limits::DEFAULT
        };
        let mut q = Queue::new(store, limits);
        for i in 0..n {
            q.push(&[i; 40]);
        }
        let mut out = Vec::new();
        while let Some(r) = q.pop()? {
            out.push(r.to_vec());
        }
        Ok(out)
    }

    fn records(n: u8) -> Vec<Vec<u8>> {
        (0..n).map(|i| vec![i; 40]).collect()
    }

    #[test]
    fn blocks_go_to_the_file_and_come_back_in_order() {
        let mut store = TempFile::new();
        assert_eq!(through(&mut store, 60).expect("a file"), records(60));
        assert!(store.out == 0 && store.end == 0, "all read back");
        let file = store.file.as_ref().expect("made");
        assert_eq!(file.metadata().expect("a file").len(), 0);
        assert_eq!(store.warning(), None);
        // used again after it was emptied
        assert_eq!(through(&mut store, 7).expect("a file"), records(7));
    }

    #[test]
    fn a_file_that_cannot_be_made_or_written_leaves_the_blocks_in_memory() {
        fn no_dir() -> io::Result<File> {
            Err(io::Error::new(io::ErrorKind::NotFound, "no such directory"))
        }
        fn read_only() -> io::Result<File> {
            // a file opened for reading only: every write fails
            let path = tempfile::NamedTempFile::new()?.into_temp_path();
            File::open(&path)
        }
        for (what, make) in [
            ("not made", no_dir as fn() -> io::Result<File>),
            ("not written", read_only),
        ] {
            let mut store = TempFile::made_by(make);
            assert_eq!(
                through(&mut store, 60).expect("in memory"),
                records(60),
                "{what}"
            );
            let warning = store.warning().expect("a warning");
            assert!(warning.contains("held in memory"), "{what}: {warning}");
        }
    }

    #[test]
    fn a_block_that_cannot_be_read_back_is_an_error() {
        fn write_only() -> io::Result<File> {
            // a file opened for writing only: every read fails
            let path = tempfile::NamedTempFile::new()?.into_temp_path();
            std::fs::OpenOptions::new().write(true).open(&path)
        }
        let mut store = TempFile::made_by(write_only);
        assert!(through(&mut store, 60).is_err());
        assert_eq!(store.warning(), None);
    }
}
