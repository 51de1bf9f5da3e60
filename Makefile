# unanswered — the everyday commands. `make ci` is what CI runs.
CARGO ?= cargo
NOW ?= 2026-11-26 12:47:00

.PHONY: build test test-deps ci fmt clippy demo explain preview bench clean

build:
	$(CARGO) build --release

test: test-deps
	$(CARGO) test --all-targets

fmt:
	$(CARGO) fmt --all

clippy:
	$(CARGO) clippy --all-targets -- -D warnings

# Python's aiosmtpd for the SMTP tests (tests/smtp/server.py), when it is missing.
test-deps:
	@python3 -c 'import aiosmtpd' 2>/dev/null || python3 -m pip install --quiet --disable-pip-version-check -r tests/smtp/requirements.txt

ci: test-deps
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --all-targets -- -D warnings
	$(CARGO) test --all-targets

# Speed and memory, as ratios against baselines measured in the same run.
bench:
	$(CARGO) build --release --bin unanswered --example csv_baseline --example lettre_pooled
	@$(MAKE) --no-print-directory test-deps
	python3 bench/bench.py

# The sample mails as HTML and text files, to look at in a browser.
preview:
	$(CARGO) run --quiet -- run --config samples/unanswered.toml --preview target/preview --now "$(NOW)" samples/journal.csv
	@echo "open target/preview/*.html"

# The main job on the bundled samples: what would be mailed, printed instead of sent.
demo:
	$(CARGO) run --quiet -- run --config samples/unanswered.toml --dry-run --now "$(NOW)" samples/journal.csv

# Who gets mail for each call of the samples, and why (or why not).
explain:
	$(CARGO) run --quiet -- explain --config samples/unanswered.toml --now "$(NOW)" samples/journal.csv

clean:
	$(CARGO) clean
