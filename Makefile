# lxcri — see README.md. Every target that needs the system installs what is missing first.
PREFIX ?= /usr/local
DESTDIR ?=
CARGO ?= cargo
HOST_TARGET := $(shell rustc -vV 2>/dev/null | sed -n 's/^host: //p')
BUILD := build
MAN8DIR = $(PREFIX)/share/man/man8
BASHCOMPDIR = $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR = $(PREFIX)/share/zsh/vendor-completions
FISHCOMPDIR = $(PREFIX)/share/fish/vendor_completions.d
# An example lxcri.toml and the client configurations of contrib/ (docs/operators.md).
DOCDIR = $(PREFIX)/share/doc/lxcri
CONTRIB := lxcri.toml crio/10-lxcri.conf containerd/config.toml podman/containers.conf \
  docker/daemon.json
RUNTIME ?= $(CURDIR)/$(BUILD)/bin/lxcri
DEB_PACKAGES := lxc lxc-dev libclang-dev clang pkg-config busybox-static libseccomp-dev runc

.PHONY: all deps build build-fault checker docs demo test unit integration conformance stress lint install uninstall clean
# The test targets share host state (cgroups, podman's store, /var/lib/containers): never run them
# side by side, whatever -j a caller passes.
.NOTPARALLEL:

all: build

# Install Debian packages, only those that are missing.
define install-missing
	@missing=""; for p in $(1); do \
	  dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi
endef

# The Debian packages the build and the tests need.
deps:
	$(call install-missing,$(DEB_PACKAGES))

# Release binaries laid out as they are installed: bin/lxcri and libexec/lxcri/*.
# Only lxcri-start (liblxc's monitor) links liblxc, dynamically. lxcri, lxcri-init and lxcri-hook
# are static, non-PIE executables (libseccomp from its .a): no dynamic loader, no relocations and
# no shared libraries to map, which is most of a short command's time and memory
# (docs/benchmarks.md, "Profile"). lxcri-init must be static anyway: it runs inside the container.
STATIC_RUSTFLAGS := -C target-feature=+crt-static -C relocation-model=static
build: deps
	$(CARGO) build --release --locked -p lxcri-start
	RUSTFLAGS="$(STATIC_RUSTFLAGS)" $(CARGO) build --release --locked \
	  -p lxcri-init -p lxcri-hook --target $(HOST_TARGET) --target-dir target/static
	LIBSECCOMP_LINK_TYPE=static LIBSECCOMP_LIB_PATH=$$(pkg-config --variable=libdir libseccomp) \
	  RUSTFLAGS="$(STATIC_RUSTFLAGS)" $(CARGO) build --release --locked \
	  -p lxcri --bin lxcri --target $(HOST_TARGET) --target-dir target/static
	install -d $(BUILD)/bin $(BUILD)/libexec/lxcri
	install -m 0755 target/static/$(HOST_TARGET)/release/lxcri $(BUILD)/bin/lxcri
	install -m 0755 target/release/lxcri-start $(BUILD)/libexec/lxcri/
	install -m 0755 target/static/$(HOST_TARGET)/release/lxcri-init \
	  target/static/$(HOST_TARGET)/release/lxcri-hook $(BUILD)/libexec/lxcri/
	$(MAKE) --no-print-directory docs

# The same binaries with the `fault-injection` feature (LXCRI_FAULT=<point> makes a process SIGKILL
# itself at that point; lxcri/src/fault.rs), in build/fault/, for tests/tests/crash.rs. Only the
# lxcri crates are compiled again: the dependencies are shared with `build`. Dynamically linked
# (build/bin's are static); runs before `build`, which relinks lxcri-start and lxcri-init without faults.
build-fault: deps
	$(CARGO) build --release --locked -p lxcri -p lxcri-start -p lxcri-hook \
	  --features lxcri/fault-injection,lxcri-start/fault-injection
	RUSTFLAGS="-C target-feature=+crt-static -C relocation-model=static" $(CARGO) build --release --locked \
	  -p lxcri-init --features fault-injection --target $(HOST_TARGET) --target-dir target/static
	install -d $(BUILD)/fault/bin $(BUILD)/fault/libexec/lxcri
	install -m 0755 target/release/lxcri $(BUILD)/fault/bin/lxcri
	install -m 0755 target/release/lxcri-start target/release/lxcri-hook $(BUILD)/fault/libexec/lxcri/
	install -m 0755 target/static/$(HOST_TARGET)/release/lxcri-init $(BUILD)/fault/libexec/lxcri/

# Man pages (share/man8) and bash/zsh/fish completions (share/completions), generated from the
# clap definitions by the built binary's hidden `__generate-docs`; well under a second.
docs:
	rm -rf $(BUILD)/share
	$(BUILD)/bin/lxcri __generate-docs $(BUILD)/share

demo: build
	./scripts/demo.sh $(BUILD)/bin/lxcri

lint: deps
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --locked --all-targets -- -D warnings
	$(CARGO) clippy --locked -p lxcri --no-default-features --lib -- -D warnings
	$(CARGO) clippy --locked -p lxcri -p lxcri-start -p lxcri-init \
	  --features lxcri/fault-injection,lxcri-start/fault-injection,lxcri-init/fault-injection -- -D warnings
	@# No import cycle between lxcri's modules, no module importing from a command's file.
	@python3 scripts/layout.py --check >/dev/null || { python3 scripts/layout.py | sed -n '/Import cycles/,$$p'; exit 1; }

# Test threads get 8 MiB of stack, like a process's main thread: the property tests feed serde
# JSON nested as deep as its recursion limit, which needs more than the default 2 MiB unoptimised.
# Unit tests that do not apply here (not root, ...) end through lxcri's `skip!`, counted apart.
UNIT_SKIP_LOG = $(CURDIR)/$(BUILD)/unit-skips.log
unit: deps
	@mkdir -p $(BUILD) && rm -f $(UNIT_SKIP_LOG)
	LXCRI_SKIP_LOG=$(UNIT_SKIP_LOG) RUST_MIN_STACK=8388608 $(CARGO) test --locked --workspace --exclude lxcri-tests
	@./tests/report-skips.sh unit $(UNIT_SKIP_LOG)

# The conformance checker (tests/checker), run as the process of test containers: static like
# lxcri-init, in build/test (a test tool, never installed).
checker: deps
	RUSTFLAGS="-C target-feature=+crt-static -C relocation-model=static" $(CARGO) build --release --locked \
	  -p lxcri-checker --target $(HOST_TARGET) --target-dir target/static
	install -D -m 0755 target/static/$(HOST_TARGET)/release/lxcri-checker $(BUILD)/test/lxcri-checker

# Integration and conformance tests: real containers, as root. RUNTIME=/usr/sbin/runc runs the
# same suite against runc.
# libtest has no "skipped": a test that does not apply returns through `skip!` (tests/src/lib.rs),
# which writes its reason to $(SKIP_LOG); the lines and their count are printed after the run.
SKIP_LOG = $(CURDIR)/$(BUILD)/integration-skips.log
integration: build-fault build checker
	@rm -f $(SKIP_LOG)
	LXCRI_SKIP_LOG=$(SKIP_LOG) RUNTIME=$(RUNTIME) timeout -k 10 1500 \
	  $(CARGO) test --locked -p lxcri-tests -- --test-threads=2
	@./tests/report-skips.sh integration $(SKIP_LOG)

conformance: integration

# Longer reliability runs (tests/tests/stress.rs, #[ignore]d in `make integration`): 500 containers
# one after another and 500 eight at a time under `ulimit -n 64`, then nothing may be left; then
# the property tests of parsing, translation and rootfs resolution with 10000 cases each. About
# 3 minutes on 2 cores; not part of `make test`; .ci/run runs it after `make test`.
stress: build
	RUNTIME=$(RUNTIME) $(CARGO) test --locked -p lxcri-tests --test stress -- --ignored --test-threads=1
	LXCRI_FUZZ_CASES=10000 RUST_MIN_STACK=8388608 $(CARGO) test --locked -p lxcri --lib -- \
	  spec::fuzz_tests rootfs::tests::random_symlink_trees_stay_inside


# Attacks of a hostile container (tests/tests/security.rs, docs/security.md): against lxcri, then
# the same attacks against SECURITY_COMPARE (Debian's runc; empty to skip), whose failures are
# reported and do not fail the target (runc 1.1.5 fails three of them, docs/security.md).
# About 35 s of tests for both, 3 minutes with the build.
.PHONY: security-test
SECURITY_COMPARE ?= /usr/sbin/runc

security-test: build
	RUNTIME=$(RUNTIME) timeout -k 10 600 $(CARGO) test --locked -p lxcri-tests --test security -- \
	  --ignored --test-threads=1
	@# The comparison's own cargo output goes to a file: its "FAILED" lines are runc's results,
	@# not this target's, and are printed below as what each attack did to the reference.
	@if [ -n "$(SECURITY_COMPARE)" ] && [ -x "$(SECURITY_COMPARE)" ]; then \
	  log=$(BUILD)/security-compare.log; \
	  echo "--- the same attacks against $(SECURITY_COMPARE) (reported, not failing the target; output in $$log)"; \
	  echo "SKIP shell_of_liblxc_hooks_is_read_only: only liblxc runs a hook shell in the container's pid namespace"; \
	  RUNTIME=$(SECURITY_COMPARE) timeout -k 10 600 $(CARGO) test --locked -p lxcri-tests --test security -- \
	    --ignored --test-threads=1 --skip shell_of_liblxc_hooks_is_read_only >$$log 2>&1; \
	  grep -E '^test .* \.\.\. ' $$log | \
	    sed -e 's/ \.\.\. ok$$/: the attack failed against it/' -e 's/ \.\.\. FAILED$$/: THE ATTACK SUCCEEDED against it/'; \
	fi

# deb-test comes last: it installs the package into /usr for a moment (and purges it); every
# test before it runs build/bin.
test: lint unit integration security-test podman-test containerd-test docker-test oci-validation crio-test rootless-test vm-test deb-test

install: build
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/libexec/lxcri
	install -m 0755 $(BUILD)/bin/lxcri $(DESTDIR)$(PREFIX)/bin/lxcri
	install -m 0755 $(BUILD)/libexec/lxcri/* $(DESTDIR)$(PREFIX)/libexec/lxcri/
	install -d $(DESTDIR)$(MAN8DIR) $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR) $(DESTDIR)$(FISHCOMPDIR)
	install -m 0644 $(BUILD)/share/man8/*.8 $(DESTDIR)$(MAN8DIR)/
	install -m 0644 $(BUILD)/share/completions/lxcri.bash $(DESTDIR)$(BASHCOMPDIR)/lxcri
	install -m 0644 $(BUILD)/share/completions/_lxcri $(DESTDIR)$(ZSHCOMPDIR)/_lxcri
	install -m 0644 $(BUILD)/share/completions/lxcri.fish $(DESTDIR)$(FISHCOMPDIR)/lxcri.fish
	for f in $(CONTRIB); do install -D -m 0644 contrib/$$f $(DESTDIR)$(DOCDIR)/$$f; done

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/lxcri
	rm -rf $(DESTDIR)$(PREFIX)/libexec/lxcri
	rm -f $(DESTDIR)$(MAN8DIR)/lxcri.8 $(DESTDIR)$(MAN8DIR)/lxcri-*.8
	rm -f $(DESTDIR)$(BASHCOMPDIR)/lxcri $(DESTDIR)$(ZSHCOMPDIR)/_lxcri $(DESTDIR)$(FISHCOMPDIR)/lxcri.fish
	rm -rf $(DESTDIR)$(DOCDIR)

clean:
	$(CARGO) clean
	rm -rf $(BUILD)

# Benchmark against crun, runc and lxc-execute: `make bench` writes docs/benchmarks.md (see bench/bench.py). Not part
# of `make test`; its targets print PASS/MISS and never fail the build.
BENCH_PACKAGES := hyperfine time crun lxc
BENCH_RUNC ?= /usr/sbin/runc

.PHONY: bench bench-deps

bench-deps:
	$(call install-missing,$(BENCH_PACKAGES))

bench: build bench-deps
	python3 bench/bench.py --lxcri $(BUILD)/bin/lxcri --runc $(BENCH_RUNC) --out docs/benchmarks.md

# Real-client test: podman 4 + conmon drive the runtime (tests/podman/run.sh; installs podman and
# conmon from Debian when missing, keeps all podman state under /tmp). RUNTIME=/usr/sbin/runc runs
# the same scenarios against runc. Part of `make test` (about 10 s once podman is installed).
.PHONY: podman-test

# PODMAN_COMPARE (Debian's runc by default, empty to skip) runs the same scenarios right after, so a
# failure can be told apart from a scenario that is wrong.
PODMAN_COMPARE ?= /usr/sbin/runc

podman-test: build
	RUNTIME=$(RUNTIME) timeout -k 10 1200 ./tests/podman/run.sh
	@if [ -n "$(PODMAN_COMPARE)" ] && [ -x "$(PODMAN_COMPARE)" ]; then \
	  echo "--- the same scenarios with $(PODMAN_COMPARE)"; \
	  RUNTIME=$(PODMAN_COMPARE) timeout -k 10 1200 ./tests/podman/run.sh; \
	fi

# Debian package: build/lxcri_<version>_amd64.deb, built with dpkg-deb from `make install` into a
# staging directory (PREFIX=/usr). `make deb-test` installs it on this host, runs a container with
# the installed binaries only and purges it again (tests/deb/run.sh, as root; the last step of
# `make test`, about 20 s).
.PHONY: deb deb-test

DEB_VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)
DEB_ARCH := amd64
DEB_STAGE := $(BUILD)/deb-root
DEB := $(BUILD)/lxcri_$(DEB_VERSION)_$(DEB_ARCH).deb

deb: build
	rm -rf $(DEB_STAGE)
	$(MAKE) --no-print-directory install DESTDIR=$(CURDIR)/$(DEB_STAGE) PREFIX=/usr
	install -d $(DEB_STAGE)/DEBIAN
	sed -e 's/@VERSION@/$(DEB_VERSION)/' -e 's/@ARCH@/$(DEB_ARCH)/' \
	  -e "s/@SIZE@/$$(du -sk --exclude=DEBIAN $(DEB_STAGE) | cut -f1)/" \
	  packaging/deb/control.in > $(DEB_STAGE)/DEBIAN/control
	dpkg-deb --root-owner-group -Zxz --build $(DEB_STAGE) $(DEB)
	@dpkg-deb --info $(DEB) | sed -n '/Package:/,$$p'

deb-test: deb
	./tests/deb/run.sh $(DEB)

# Real-client test: a private containerd 1.6 (its own config, root, state and socket under /tmp;
# the host's containerd and /etc are never touched) with the runc v2 shim running the runtime as
# BinaryName from contrib/containerd/config.toml; ctr import, run, exec, kill, pause
# (tests/containerd/run.sh; installs containerd from Debian when missing). About 10 s.
.PHONY: containerd-test crio-test rootless-test

containerd-test: build
	RUNTIME=$(RUNTIME) ./tests/containerd/run.sh

# Real-client test: a private dockerd (Debian's docker.io 20.10 with its containerd 1.6; own
# data-root, exec-root, socket and pidfile under /tmp, no bridge or iptables changes) runs the
# same scenarios with runc and with lxcri, registered from contrib/docker/daemon.json, in one run
# (tests/docker/run.sh; installs docker.io from Debian when missing). Fails when a scenario
# passes with runc and fails with lxcri. About 15 s once docker.io is installed.
.PHONY: docker-test

docker-test: build
	RUNTIME=$(RUNTIME) timeout -k 10 600 ./tests/docker/run.sh

# The OCI runtime-tools validation suite (../shared/runtime-tools, 58 tests) against lxcri and
# runc in the same run (tests/runtime-tools/run.sh): fails when lxcri fails a test runc passes or
# one docs/conformance.md does not explain. Without the kit it prints that it was not run.
.PHONY: oci-validation

oci-validation: build
	RUNTIME=$(RUNTIME) timeout -k 10 1500 ./tests/runtime-tools/run.sh

# Kubernetes through CRI-O 1.28: critest 1.28 with runc and with lxcri in the same run, failing
# when lxcri fails a spec runc passes; the drop-in contrib/crio/10-lxcri.conf over CRI-O's defaults;
# a crictl scenario for both runtimes (tests/crio/run.sh, with the kit in ../shared/crio; without
# it one line says the suite was not run). About 4 minutes; every step has its own timeout.
crio-test: build
	timeout -k 30 2400 ./tests/crio/run.sh

# Real hosts: a stock Debian 12 in a VM (systemd 252 on pure cgroup v2, AppArmor, podman 4.3;
# ../shared/vm/debian12-vm.sh, image built once per machine) runs the same scenarios for lxcri
# and Debian's runc in one run: a bundle by hand with and without --systemd-cgroup, podman with
# its systemd cgroup manager and with cgroupfs, AppArmor in force, the cgroup v2 checks
# (tests/vm/cgroup2.sh) and rootless with a systemd user session (tests/rootless/run.sh with
# ROOTLESS_SESSION=1); about 10 minutes here (tests/vm/run.sh). Fails when
# lxcri fails a scenario runc passes; without ../shared/vm one line says it was not run.
# VM_SUITE_LOCK=FILE holds that flock while the VM is up. Timings: docs/operators.md.
.PHONY: vm-test

vm-test: build
	timeout -k 60 1500 ./tests/vm/run.sh

# Rootless: the user lxcri-rl (made once, with /etc/subuid and /etc/subgid ranges; nothing of the
# host's is removed) runs containers by hand and under rootless podman, with lxcri and with
# ROOTLESS_COMPARE (Debian's runc) in the same run; fails when lxcri fails a scenario runc passes
# (tests/rootless/run.sh, docs/operators.md "Rootless"). About a minute once podman is installed.
ROOTLESS_COMPARE ?= /usr/sbin/runc

rootless-test: build
	RUNTIME=$(RUNTIME) COMPARE=$(ROOTLESS_COMPARE) timeout -k 10 600 ./tests/rootless/run.sh
