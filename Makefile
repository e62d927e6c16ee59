# Every target works on a fresh machine with Go 1.26, and none needs AWS. run and the end-to-end
# tests in test also need Node.js 20+ and npm (kinesalite and dynalite are installed from npm on
# first use), and the tests of the Python binding's processor need python3 with venv. run-java and
# the tests of the real daemon in test need Java 8+; test and jar-list also need Maven.
GO          ?= go
BIN         ?= bin
FUZZTIME    ?= 20s
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: all build test lint cross fuzz run run-java demo bench install clean jar-list

all: build

## build: compile every command into ./bin
build:
	$(GO) build -o $(BIN)/ ./cmd/...

## test: everything CI runs: lint, the cross-builds, the race-enabled test suite, a short fuzz run
test: lint cross
	$(GO) test -race -count=1 ./...
	$(MAKE) fuzz FUZZTIME=$(FUZZTIME)

## lint: formatting, go vet and staticcheck
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

## cross: build every package for Linux, macOS and Windows on amd64 and arm64, and vet it for
## macOS and Windows, test files included, so that no platform's build breaks unnoticed
CROSS_TARGETS ?= linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64
cross:
	@for t in $(CROSS_TARGETS); do \
		echo "GOOS=$${t%/*} GOARCH=$${t#*/} $(GO) build -o /dev/null ./..."; \
		GOOS=$${t%/*} GOARCH=$${t#*/} $(GO) build -o /dev/null ./... || exit 1; \
	done
	GOOS=darwin $(GO) vet ./...
	GOOS=windows $(GO) vet ./...

## fuzz: fuzz each decoder for FUZZTIME (go test -fuzz runs one target at a time)
fuzz:
	$(GO) test ./protocol -run='^$$' -fuzz='^FuzzDecode$$' -fuzztime=$(FUZZTIME)
	$(GO) test ./protocol -run='^$$' -fuzz='^FuzzDecodeChild$$' -fuzztime=$(FUZZTIME)

## run: the whole pipeline on this machine: kinesalite, kcl put, kcl local and the sample processor
run: build
	$(GO) run ./internal/cmd/local-demo -bin $(BIN)

## run-java: the same with the real Java MultiLangDaemon (KCL=3.1.3, 2.7.2 or 1.15.3); needs Java 8+
run-java: build
	$(GO) run ./internal/cmd/java-demo -bin $(BIN) $(if $(KCL),-kcl $(KCL))

## demo: play a complete daemon session against the sample processor (no Java, no AWS)
demo: build
	$(BIN)/kcl play -- $(BIN)/sample-processor -checkpoint-every-records 5

## bench: measure the SDK against the reference child it should come close to (S1-S4, medians of 3)
bench:
	$(GO) build -o $(BIN)/ ./cmd/kcl ./internal/cmd/bench-noop ./internal/cmd/bench-ceiling
	$(BIN)/kcl bench -sdk $(BIN)/bench-noop -ceiling $(BIN)/bench-ceiling

## install: install the kcl command into GOBIN
install:
	$(GO) install ./cmd/kcl

## jar-list: write internal/jars/lists/$(KCL).txt, the Maven runtime closure of that KCL version (needs mvn)
jar-list:
	@test -n "$(KCL)" || { echo "usage: make jar-list KCL=1.15.3"; exit 2; }
	$(GO) run ./internal/cmd/jarlist -kcl $(KCL)

clean:
	rm -rf $(BIN)
