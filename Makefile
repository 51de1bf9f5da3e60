# unanswered — the everyday commands. `make ci` is what CI runs.
CARGO ?= cargo
NOW ?= 2026-11-26 12:47:00

PREFIX ?= /usr/local
DESTDIR ?=

.PHONY: build test test-deps test-real prereqs prereqs-tests ci fmt clippy demo explain preview bench clean install deb mail-clients fuzz

build: prereqs
	$(CARGO) build --release

# Every suite runs even when one fails (--no-fail-fast); the target fails if any failed.
test: prereqs-tests
	UNANSWERED_TEST_PYTHON="$$(scripts/test-python.sh)" $(CARGO) test --all-targets --no-fail-fast

# The tests over real PBX exports kept outside the repository: $(UNANSWERED_REAL_DATA), else
# ../shared/data. Missing data fails loudly.
test-real: prereqs
	$(CARGO) test --test real --no-fail-fast

# Every parser (native CSV / JSON Lines, Asterisk, users, contacts, vCard, logons, config) fed
# mutated sample files and random bytes; bounded: FUZZ_INPUTS per parser, FUZZ_SECONDS at most
# each. Prints how many inputs each ran. (`make ci` runs the same targets with 64 inputs.)
FUZZ_INPUTS ?= 20000
FUZZ_SECONDS ?= 60
fuzz: prereqs-tests
	UNANSWERED_FUZZ_INPUTS=$(FUZZ_INPUTS) UNANSWERED_FUZZ_SECONDS=$(FUZZ_SECONDS) $(CARGO) test --lib ingest::fuzz -- --nocapture --test-threads 2

fmt:
	$(CARGO) fmt --all

clippy:
	$(CARGO) clippy --all-targets -- -D warnings

# What the build needs from the system (C compiler, pkg-config, libxslt/libxml2 headers):
# installed when run as root with apt-get, else the command to type is printed.
prereqs:
	@scripts/prereqs.sh
prereqs-tests:
	@scripts/prereqs.sh --tests

# Python's aiosmtpd for the SMTP tests, in a virtual environment under target/ (never the
# system interpreter); prints the interpreter's path.
test-deps:
	@scripts/test-python.sh

ci: prereqs-tests
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --all-targets -- -D warnings
	UNANSWERED_TEST_PYTHON="$$(scripts/test-python.sh)" $(CARGO) test --all-targets --no-fail-fast

# Speed and memory, as ratios against baselines measured in the same run (BENCH_REPEAT=N best
# of N, BENCH_MAX_ROWS=N skips larger journals, BENCH_PROFILE=profiling reuses that build).
# `cargo bench --bench decide` runs the micro-benchmarks of the hot functions (divan).
BENCH_PROFILE ?= release
bench:
	$(CARGO) build --profile $(BENCH_PROFILE) --bin unanswered --example csv_baseline --example ingest_only --example lettre_pooled
	BENCH_PROFILE=$(BENCH_PROFILE) "$$(scripts/test-python.sh)" bench/bench.py

# The sample mails as HTML and text files, to look at in a browser.
preview: prereqs
	$(CARGO) run --quiet -- run --config samples/unanswered.toml --preview target/preview --now "$(NOW)" samples/journal.csv
	@echo "open target/preview/*.html"

# The main job on the bundled samples: what would be mailed, printed instead of sent.
demo: prereqs
	$(CARGO) run --quiet -- run --config samples/unanswered.toml --show --now "$(NOW)" samples/journal.csv

# Who gets mail for each call of the samples, and why (or why not).
explain: prereqs
	$(CARGO) run --quiet -- explain --config samples/unanswered.toml --now "$(NOW)" samples/journal.csv

# What mail programs support of the default HTML: doiuse-email (caniemail data) over the golden
# mails, compared with tests/mail-clients/report.txt (UPDATE_EXPECT=1 rewrites it); every
# finding has its fallback in xsl/README.md. Needs node and npm (the package goes under
# target/); `make ci` does not.
DOIUSE = target/mail-clients
mail-clients:
	@command -v npm >/dev/null 2>&1 || { echo "make mail-clients needs node and npm" >&2; exit 1; }
	@test -d $(DOIUSE)/node_modules/@jsx-email/doiuse-email || npm install --silent --no-audit --no-fund --prefix $(DOIUSE) @jsx-email/doiuse-email@1.0.4
	DOIUSE_DIR="$(CURDIR)/$(DOIUSE)" node tests/mail-clients/report.mjs tests/golden/*.html tests/golden/per-call/*.html > $(DOIUSE)/report.txt
	@if [ -n "$$UPDATE_EXPECT" ]; then cp $(DOIUSE)/report.txt tests/mail-clients/report.txt; fi
	diff -u tests/mail-clients/report.txt $(DOIUSE)/report.txt

# The release binary (stripped), its man pages and bash/zsh/fish completions (made from the
# clap definitions by the hidden `unanswered generate`), the systemd units (ExecStart in
# $(PREFIX)/bin) and the example configuration, under $(DESTDIR)$(PREFIX).
install: build
	scripts/install.sh target/release/unanswered "$(DESTDIR)" "$(PREFIX)"

# A Debian package (needs `cargo install cargo-deb`): the files of `make install` for /usr.
deb: build
	rm -rf target/deb-root
	scripts/install.sh target/release/unanswered target/deb-root /usr
	$(CARGO) deb --no-build

clean:
	$(CARGO) clean
